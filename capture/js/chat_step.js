// Capture step. First checks that what the previous step returned still holds (a
// virtual list may have rendered late: then it returns the fresh rows without
// scrolling, and the caller retakes the screenshot). It also measures how far older
// messages arriving at the top pushed the content down, by the offset of the row the
// previous step (whatever it did) named as reference, so that offsets stay those of
// the content as it was when the pass began.
// Then it scrolls to `target` + that shift and returns the visible rows; a list that
// has all its rows in the DOM needs no frame, a virtual one gets one.
// `view` is chat_view.js made for `el`.
async (el, arg, view) => {
  const {doc, isDoc, pos, go, rows, textOf, coverage, rendered, virtualized, geometry, offsetOf} = view;
  const visible = (all) => {
    const top = pos(), bottom = top + el.clientHeight;
    return all.filter(({offset, height}) => offset + height > top && offset < bottom)
      .map(({row, offset, height}) => [offset, textOf(row), height]).filter(([, text]) => text);
  };
  const label = (row) => (row.textContent || "").slice(0, 500);
  const reference = (all) => {
    const last = all[all.length - 1];
    return last ? {row: last.row, offset: last.offset, text: label(last.row)} : {row: null, offset: 0, text: ""};
  };
  // Searched from the end: a message arriving at the bottom since is no reason to lose it.
  const moved = (all, was) => {
    if (!was || !was.text) return 0;
    for (let i = all.length - 1; i >= 0; i--) {
      if (label(all[i].row) === was.text) return all[i].offset - was.offset;
    }
    return 0;
  };
  const sign = (found) => JSON.stringify(found);
  const state = (all, found, ref) => ({
    ...geometry(), height: el.scrollHeight, rows: found,
    filled: coverage(all),
    sig: sign(found), ref: {offset: ref.offset, text: ref.text},
    inView: isDoc || (() => { const r = el.getBoundingClientRect();
      return r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= innerWidth; })(),
  });
  // The window is pictured right after this step returns, by our own DevTools session
  // (chat_camera.py), which does not wait for web fonts as Playwright's screenshot does:
  // rows scrolled into view may have started loading a font (a CJK face comes in many
  // unicode-range files), and their text would be pictured blank or in a fallback face.
  // True when it waited (the rows may have moved as the font came in).
  const fonts = async () => {
    if (doc.fonts.status === "loaded") return false;
    await Promise.race([doc.fonts.ready, new Promise((done) => setTimeout(done, arg.fontsMs))]);
    return true;
  };
  await fonts();
  let all = rows();
  if (arg.target === null && virtualized(all)) { await rendered(arg.want); all = rows(); }
  const ref = reference(all);
  const expect = arg.expect;
  const across = moved(all, arg.ref);
  if (expect) {
    const found = visible(all);
    if (sign(found) !== expect || arg.target === null) {
      await fonts();
      return {stale: sign(found) !== expect, across, within: 0, ...state(all, found, ref)};
    }
  }
  go(arg.target + arg.shift + across);
  // A list with every row in the DOM shows the new window at once; a virtual one
  // renders it in a later frame. Should it render even later than we waited, the
  // next step's check sees the rows change and the screenshot is retaken.
  all = rows();
  const virtual = virtualized(all);
  if (virtual) { await rendered(arg.want); all = rows(); }
  if (await fonts()) all = rows();
  const same = ref.row && ref.row.isConnected && label(ref.row) === ref.text;
  const within = same ? offsetOf(ref.row) - ref.offset : 0;
  return {stale: false, across, within, virtual, ...state(all, visible(all), reference(all))};
}
