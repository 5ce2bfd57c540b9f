// Init script: remembers when the document last changed, so the capture can wait for
// content to stop changing without a fixed delay. It only observes; the page is untouched.
(() => {
  const key = Symbol.for("evidence-capture.settle");
  if (window[key]) return;
  // last: when the content last changed after parsing; null while it has not.
  const watch = { last: null, changes: 0 };
  Object.defineProperty(window, key, { value: watch, enumerable: false });
  // The parser building the document is no content arriving later: the load event
  // already waited for it. Its records reach the observer before DOMContentLoaded is
  // dispatched (readyState may already say "interactive" by then, on a busy machine).
  let parsed = false;
  document.addEventListener("DOMContentLoaded", () => { parsed = true; }, { once: true });
  const seen = (records) => {
    // Style-only changes are animations (carousels, spinners).
    if (!parsed) return;
    if (records.some((r) => r.type !== "attributes" || r.attributeName !== "style")) {
      watch.last = performance.now();
      watch.changes += 1;
    }
  };
  new MutationObserver(seen).observe(document, {
    subtree: true, childList: true, characterData: true, attributes: true,
  });
})()
