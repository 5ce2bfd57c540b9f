// Init script: remembers when the document last changed, so the capture can wait for
// content to stop changing without a fixed delay. It only observes; the page is untouched.
(() => {
  const key = Symbol.for("evidence-capture.settle");
  if (window[key]) return;
  // last: when the content last changed after parsing; null while it has not.
  const watch = { last: null, changes: 0 };
  Object.defineProperty(window, key, { value: watch, enumerable: false });
  // The parser building the document is no content arriving later: the load event
  // already waited for it. Its records may still be queued, undelivered, when
  // DOMContentLoaded is dispatched (seen on every load of a 20,000-row page, and on a
  // few loads in a hundred of a small one on a busy machine), so they are taken, unseen,
  // right then.
  let parsed = false;
  const seen = (records) => {
    // Style-only changes are animations (carousels, spinners).
    if (!parsed) return;
    if (records.some((r) => r.type !== "attributes" || r.attributeName !== "style")) {
      watch.last = performance.now();
      watch.changes += 1;
    }
  };
  const observer = new MutationObserver(seen);
  document.addEventListener("DOMContentLoaded", () => {
    observer.takeRecords();
    parsed = true;
  }, { once: true });
  observer.observe(document, {
    subtree: true, childList: true, characterData: true, attributes: true,
  });
})()
