// Init script: remembers when the document last changed, so the capture can wait for
// content to stop changing without a fixed delay. It only observes; the page is untouched.
(() => {
  const key = Symbol.for("evidence-capture.settle");
  if (window[key]) return;
  const watch = { last: performance.now(), changes: 0 };
  Object.defineProperty(window, key, { value: watch, enumerable: false });
  const seen = (records) => {
    // The parser building the document is no content arriving later: the load event
    // already waited for it. Style-only changes are animations (carousels, spinners).
    if (document.readyState === "loading") return;
    if (records.some((r) => r.type !== "attributes" || r.attributeName !== "style")) {
      watch.last = performance.now();
      watch.changes += 1;
    }
  };
  new MutationObserver(seen).observe(document, {
    subtree: true, childList: true, characterData: true, attributes: true,
  });
})()
