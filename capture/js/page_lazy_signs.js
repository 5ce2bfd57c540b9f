// What in the document could load more content when the window is scrolled, besides
// what the DevTools protocol tells of (observers of the viewport, scroll listeners):
// lazy.py scrolls through the page when anything here or there could.
(() => {
  const root = document.documentElement;
  if (!root) return { scrollable: false, signs: [] };
  // The walk only scrolls down a screen at a time: a page no taller than the window
  // would be scrolled nowhere.
  if (root.scrollHeight <= innerHeight) return { scrollable: false, signs: [] };
  const signs = [];
  if (document.querySelector('img[loading="lazy" i], iframe[loading="lazy" i]')) {
    signs.push("elements with loading=lazy");
  }
  // A frame's own observers and elements are not this document's: assume it lazy.
  if (document.querySelector("iframe, frame, object, embed")) signs.push("frames");
  for (const target of [window, document, root, document.body]) {
    if (target && (target.onscroll || target.onwheel)) { signs.push("an onscroll handler"); break; }
  }
  // Lazy content inside a web component is not found by the queries above.
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_ELEMENT);
  for (let n = 0, el = walker.currentNode; el; el = walker.nextNode(), n++) {
    if (n >= 50000) { signs.push("more elements than were looked through"); break; }
    if (el.shadowRoot) { signs.push("shadow roots"); break; }
  }
  return { scrollable: true, signs };
})()
