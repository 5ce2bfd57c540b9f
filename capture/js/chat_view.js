// Geometry of the conversation box `el` and its rows, shared by the loading and capture
// steps (chat_load.js, chat_step.js): made once per call, as it caches the row parents.
// `rowParents` is chat_rows.js.
(el, rowParents) => {
  const doc = el.ownerDocument;
  const isDoc = el === doc.scrollingElement || el === doc.documentElement;
  // One frame, then a task: by then the page's own frame callbacks and the work they
  // queued (virtual lists render there) have run. The timer bounds it in a hidden tab.
  const nextFrame = () => new Promise((done) => {
    const timer = setTimeout(done, 100);
    requestAnimationFrame(() => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => { clearTimeout(timer); done(); };
      channel.port2.postMessage(0);
    });
  });
  const go = (top) => el.scrollTo({top, behavior: "instant"});
  let parentsSeen = null;
  function rowElements() {
    // Found once per call (the walk is not free), again if the page replaced them.
    if (!parentsSeen || !parentsSeen.every((p) => p.isConnected && el.contains(p))) {
      parentsSeen = rowParents(el);
    }
    return parentsSeen.flatMap((p) => Array.from(p.children));
  }
  function textOf(row) {
    const lines = (row.innerText || "").split("\n")
      .map((line) => line.replace(/\s+/g, " ").trim()).filter(Boolean);
    if (lines.length) return lines.join("\n");
    if (!row.querySelector("img, picture, video, canvas, svg")) return "";
    const alts = Array.from(row.querySelectorAll("img[alt]")).map((i) => i.alt.trim()).filter(Boolean);
    return alts.length ? `[图片 image: ${alts.join(", ")}]` : "[图片 image]";
  }
  // Offsets are in scroll-content coordinates: the same row has the same offset in
  // every step, two equal messages never do.
  function rows() {
    const viewTop = isDoc ? 0 : el.getBoundingClientRect().top + el.clientTop;
    const out = [];
    for (const row of rowElements()) {
      const r = row.getBoundingClientRect();
      if (r.height) out.push({row, offset: Math.round(r.top - viewTop + el.scrollTop), height: r.height});
    }
    return out;
  }
  // Share of the visible window that rows fill: near 0 while a virtual list has not
  // rendered the window yet.
  function coverage(all) {
    const top = el.scrollTop, bottom = top + el.clientHeight;
    const spans = all.map(({offset, height}) => [Math.max(top, offset), Math.min(bottom, offset + height)])
      .filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
    let sum = 0, end = top;
    for (const [a, b] of spans) { if (b > end) { sum += b - Math.max(a, end); end = b; } }
    return sum / Math.max(1, el.clientHeight);
  }
  // Wait (bounded) until the window is rendered: debounced lists render late. Up to
  // 1 s for an empty window, 0.4 s for one filled less than earlier windows were.
  async function rendered(want) {
    const start = performance.now();
    for (;;) {
      await nextFrame();
      const filled = coverage(rows()), waited = performance.now() - start;
      if (!(filled < 0.5 && waited < 1000) && !(filled < want && waited < 400)) return;
    }
  }
  // A list whose rows in the DOM span much less than its content is virtualized.
  function virtualized(all) {
    if (!all.length) return true;
    const last = all[all.length - 1];
    return Math.abs(last.offset + last.height - all[0].offset) < el.scrollHeight - 2 * el.clientHeight;
  }
  // Where the box and the browser's viewport are: what a picture of it can show.
  function geometry() {
    const r = isDoc ? null : el.getBoundingClientRect();
    return {top: el.scrollTop, client: el.clientHeight, clientTop: isDoc ? 0 : el.clientTop,
      rect: r && {x: r.left, y: r.top, width: r.width, height: r.height},
      vh: innerHeight, dpr: devicePixelRatio || 1};
  }
  function offsetOf(row) {
    const viewTop = isDoc ? 0 : el.getBoundingClientRect().top + el.clientTop;
    return Math.round(row.getBoundingClientRect().top - viewTop + el.scrollTop);
  }
  return {doc, isDoc, nextFrame, go, rowElements, textOf, rows, coverage, rendered, virtualized,
          geometry, offsetOf};
}
