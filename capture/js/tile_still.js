// True where Playwright's preparation for a picture (tile_camera.py) would change nothing in
// this frame: no animation in the document or an open shadow root, no focused field, every font loaded.
(() => {
  const roots = [document];
  for (let i = 0; i < roots.length; i++) {
    const walker = document.createTreeWalker(roots[i], NodeFilter.SHOW_ELEMENT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) if (node.shadowRoot) roots.push(node.shadowRoot);
  }
  if (roots.some((root) => root.getAnimations().length)) return false;
  let active = document.activeElement;
  while (active && active.shadowRoot && active.shadowRoot.activeElement) active = active.shadowRoot.activeElement;
  if (active && (active.isContentEditable || active.matches("input, textarea"))) return false;
  return document.fonts.status === "loaded";
})()
