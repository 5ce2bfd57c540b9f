// Loading: go to the top (nudging when already there, so the page sees a scroll) and
// report the height before, what the top looks like a frame later, and the newest row
// (a change there is a new message arriving, not older history).
// `view` is chat_view.js made for `el`.
async (el, toTop, view) => {
  const {go, pos, nextFrame, rows, virtualized, rendered} = view;
  const before = el.scrollHeight;
  if (toTop) {
    if (pos() < 1) { go(Math.min(120, el.scrollHeight)); await nextFrame(); }
    go(0);
    if (virtualized(rows())) await rendered(0.5);
  }
  let first = null, last = null;
  for (const item of rows()) {
    if (!first || item.offset < first.offset) first = item;
    if (!last || item.offset >= last.offset) last = item;
  }
  const text = (item) => (item ? (item.row.textContent || "").slice(0, 200) : "");
  return {top: Math.floor(pos()), height: el.scrollHeight, client: el.clientHeight, before,
          first: first ? first.offset + ":" + text(first) : "", last: text(last)};
}
