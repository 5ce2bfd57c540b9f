// Loading: go to the top (nudging when already there, so the page sees a scroll) and
// report the height before, and what the top looks like a frame later.
// `view` is chat_view.js made for `el`.
async (el, toTop, view) => {
  const {go, nextFrame, rows, virtualized, rendered} = view;
  const before = el.scrollHeight;
  if (toTop) {
    if (el.scrollTop < 1) { go(Math.min(120, el.scrollHeight)); await nextFrame(); }
    go(0);
    if (virtualized(rows())) await rendered(0.5);
  }
  let first = "", firstOffset = Infinity;
  for (const {row, offset} of rows()) {
    if (offset < firstOffset) {
      firstOffset = offset;
      first = offset + ":" + (row.textContent || "").slice(0, 200);
    }
  }
  return {top: Math.floor(el.scrollTop), height: el.scrollHeight, client: el.clientHeight, before, first};
}
