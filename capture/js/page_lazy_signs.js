// What in the document could load or lay out more content when the window is scrolled,
// besides what the DevTools protocol tells of (observers of the viewport, scroll
// listeners): lazy.py scrolls through the page when anything here or there could.
// `known` is null where the page is not what it can be judged by (lazy.py scrolls).
(() => {
  const root = document.documentElement;
  if (!root) return { known: true, scrollable: false, signs: [] };
  // The walk only scrolls down a screen at a time: a page no taller than the window
  // would be scrolled nowhere.
  if (root.scrollHeight <= innerHeight) return { known: true, scrollable: false, signs: [] };
  // Its scripts may not have run yet (no load event), or an observer of ours would be
  // one of the page's own wrappers (zone.js replaces the constructor): not judged.
  const native = (f) => typeof f === "function" && /\{\s*\[native code\]\s*\}\s*$/.test(Function.prototype.toString.call(f));
  if (document.readyState !== "complete" || !native(window.IntersectionObserver)) {
    return { known: false, scrollable: true, signs: [] };
  }
  const signs = [];
  const any = (selector, sign) => { if (document.querySelector(selector)) signs.push(sign); };
  any('img[loading="lazy" i], iframe[loading="lazy" i]', "elements with loading=lazy");
  // Markup that lazy loaders fill in later, should their script start after our look.
  any("[data-src], [data-srcset], [data-lazy-src], [data-original], [data-bg], [data-background],"
      + " .lazyload, .lazy, .lozad", "lazy-loader markup");
  // A frame's own observers and elements are not this document's: assume it lazy.
  any("iframe, frame, object, embed", "frames");
  any('[style*="content-visibility" i]', "content-visibility");
  for (const target of [window, document, root, document.body]) {
    if (target && (target.onscroll || target.onwheel)) { signs.push("an onscroll handler"); break; }
  }
  // content-visibility: auto lays out sections only near the window; a sheet we may not
  // read (another origin) could say so.
  // A rule's text holds the rules nested in it; an @import's sheet is looked into too.
  const sheets = Array.from(document.styleSheets);
  for (let n = 0, rules = 0; n < sheets.length; n++) {
    let list;
    try { list = sheets[n].cssRules; } catch (e) { signs.push("style sheets that cannot be read"); break; }
    rules += list.length;
    if (n >= 200 || rules > 20000) { signs.push("more style rules than were looked through"); break; }
    const found = Array.from(list).some((rule) => {
      if (rule.styleSheet) sheets.push(rule.styleSheet);
      return (rule.cssText || "").includes("content-visibility");
    });
    if (found) { signs.push("content-visibility"); break; }
  }
  // Lazy content inside a web component is not found by the queries above, and a
  // closed shadow root cannot be looked into: any custom element counts.
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_ELEMENT);
  for (let n = 0, el = walker.currentNode; el; el = walker.nextNode(), n++) {
    if (n >= 50000) { signs.push("more elements than were looked through"); break; }
    if (el.shadowRoot || el.localName.includes("-")) { signs.push("web components"); break; }
  }
  return { known: true, scrollable: true, signs };
})()
