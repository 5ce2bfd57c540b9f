// A "load more" control at the top of the conversation (查看更多消息, load earlier
// messages): a visible, clickable element with such a short text in the box or just
// above it, in its upper half. Returns the element, or null. Found from the text
// nodes that say so, as a long chat has too many elements to ask each for its text.
(el) => {
  const WORDS = /查看更多|加载更多|更多消息|历史消息|查看历史|更早的消息|load (more|earlier|older)|earlier messages|older messages|show more|view more/i;
  const CLICKABLE = 'button, a, [role="button"], [onclick], [tabindex]';
  const isDoc = el === el.ownerDocument.scrollingElement || el === el.ownerDocument.documentElement;
  const box = isDoc ? null : el.getBoundingClientRect();
  const top = box ? box.top - 80 : 0;
  const bottom = box ? box.top + box.height / 2 : innerHeight / 2;
  const parent = isDoc ? null : el.parentElement || (el.getRootNode() && el.getRootNode().host);
  const scopes = [el, parent].filter(Boolean).flatMap((s) => (s.shadowRoot ? [s, s.shadowRoot] : [s]));
  function control(text) {
    // The text's element or one around it, up to three levels, that can be clicked.
    for (let node = text.parentElement, depth = 0; node && depth < 4; node = node.parentElement, depth++) {
      if (node === el || node === parent) return null;
      const style = getComputedStyle(node);
      if (node.matches(CLICKABLE) || style.cursor === "pointer") return node;
    }
    return null;
  }
  for (const scope of scopes) {
    const walk = el.ownerDocument.createTreeWalker(scope, NodeFilter.SHOW_TEXT);
    for (let seen = 0; walk.nextNode() && seen < 100000; seen++) {
      const text = walk.currentNode;
      if (!WORDS.test(text.data) || text.data.trim().length > 30) continue;
      const node = control(text);
      if (!node || node.disabled || getComputedStyle(node).visibility === "hidden") continue;
      const label = (node.innerText || "").trim();
      if (!label || label.length > 30) continue;
      const rect = node.getBoundingClientRect();
      if (!rect.width || !rect.height || rect.bottom < top || rect.top > bottom) continue;
      return node;
    }
  }
  return null;
}
