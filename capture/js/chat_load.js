// Loading: go to the top (nudging when already there, so the page sees a scroll) and
// report the height before, what the top looks like a frame later, and the newest row
// (a change there is a new message arriving, not older history).
// `view` is chat_view.js made for `el`. `arg`: {toTop} or, while waiting for older
// messages, {toTop: false, waitMs, first, height}: look again frame by frame until the
// top row or the height differ from those, at most waitMs. One call instead of a dozen
// polls from outside, each of which the trace records with two DOM snapshots.
async (el, arg, view) => {
  const {go, pos, nextFrame, rows, virtualized, rendered} = view;
  const before = el.scrollHeight;
  const edges = () => {
    let first = null, last = null;
    for (const item of rows()) {
      if (!first || item.offset < first.offset) first = item;
      if (!last || item.offset >= last.offset) last = item;
    }
    return {first, last};
  };
  const text = (item) => (item ? (item.row.textContent || "").slice(0, 200) : "");
  const key = (item) => (item ? item.offset + ":" + text(item) : "");
  if (arg.toTop) {
    if (pos() < 1) { go(Math.min(120, el.scrollHeight)); await nextFrame(); }
    go(0);
    if (virtualized(rows())) await rendered(0.5);
  }
  let {first, last} = edges();
  const until = performance.now() + Math.min(Math.max(0, arg.waitMs || 0), 1000);
  while (!arg.toTop && performance.now() < until
         && el.scrollHeight === arg.height && key(first) === arg.first) {
    await nextFrame();
    ({first, last} = edges());
  }
  return {top: Math.floor(pos()), height: el.scrollHeight, client: el.clientHeight, before,
          first: key(first), last: text(last)};
}
