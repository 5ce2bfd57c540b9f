// Which elements are the message rows: the children of the descendant with the most
// element children, among those holding a fair share of the text (a long rich message
// can have more children than a short chat has messages); when messages are grouped
// (by day), the children of every group of the same shape.
function rowParents(el) {
  const total = (el.textContent || "").length;
  let best = el, most = el.childElementCount, seen = 0;
  const walk = el.ownerDocument.createTreeWalker(el, NodeFilter.SHOW_ELEMENT);
  while (walk.nextNode() && seen++ < 20000) {
    const node = walk.currentNode, n = node.childElementCount;
    if (n > most && (node.textContent || "").length >= 0.3 * total) { best = node; most = n; }
  }
  if (best === el || !best.parentElement) return [best];
  const shape = (n) => n.tagName + "." + (n.classList[0] || "");
  const groups = Array.from(best.parentElement.children).filter((n) => shape(n) === shape(best));
  return groups.length > 1 ? groups : [best];
}
