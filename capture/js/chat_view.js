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
  // A column-reverse box (newest first) scrolls from 0 at the bottom to negative values
  // at the top; positions here always run from 0 at the top of the content down.
  const reverse = !isDoc && /reverse/.test(getComputedStyle(el).flexDirection || "");
  // Where that top is is measured, not computed: with sub-pixel layout the range can
  // run from -(scrollHeight - clientHeight - 1) to 1.
  let measured = null;
  function base() {
    if (!reverse) return 0;
    if (!measured || measured.height !== el.scrollHeight || measured.client !== el.clientHeight) {
      const was = el.scrollTop;
      el.scrollTo({top: -el.scrollHeight - 1e6, behavior: "instant"});
      measured = {height: el.scrollHeight, client: el.clientHeight, top: -el.scrollTop};
      el.scrollTo({top: was, behavior: "instant"});
    }
    return measured.top;
  }
  const pos = () => el.scrollTop + base();
  const go = (top) => el.scrollTo({top: top - base(), behavior: "instant"});
  let parentsSeen = null;
  function rowElements() {
    // Found once per call (the walk is not free), again if the page replaced them.
    if (!parentsSeen || !parentsSeen.every((p) => p.isConnected && el.contains(p))) {
      parentsSeen = rowParents(el);
    }
    return parentsSeen.flatMap((p) => Array.from(p.children));
  }
  // A picture message is named by its alt text, else its file name, where it stands.
  function marker(img) {
    let name = (img.getAttribute("alt") || "").trim();
    if (!name) {
      const src = (img.currentSrc || img.src || "").split(/[?#]/)[0];
      try { name = decodeURIComponent(src.slice(src.lastIndexOf("/") + 1)); } catch (e) { name = ""; }
      if (/^data:/.test(src)) name = "";
    }
    return name ? `[图片: ${name}]` : "[图片]";
  }
  function pieces(node, out) {
    for (const child of node.childNodes) {
      if (child.nodeType === 3) { out.push(child.textContent); continue; }
      if (child.nodeType !== 1) continue;
      if (child.tagName === "BR") { out.push("\n"); continue; }
      if (child.tagName === "IMG") {
        const r = child.getBoundingClientRect();
        if (r.width || r.height) out.push(" " + marker(child) + " ");
        continue;
      }
      const style = getComputedStyle(child);
      if (style.display === "none" || style.visibility === "hidden") continue;
      const block = !/^inline/.test(style.display);
      if (block) out.push("\n");
      if (child.querySelector("img")) pieces(child, out);
      else out.push(child.innerText || "");
      if (block) out.push("\n");
    }
  }
  function textOf(row) {
    let raw = row.innerText || "";
    if (row.querySelector("img")) { const out = []; pieces(row, out); raw = out.join(""); }
    const lines = raw.split("\n").map((line) => line.replace(/\s+/g, " ").trim()).filter(Boolean);
    if (lines.length) return lines.join("\n");
    return row.querySelector("picture, video, canvas, svg") ? "[图片]" : "";
  }
  // Offsets are in scroll-content coordinates: the same row has the same offset in
  // every step, two equal messages never do.
  function rows() {
    const viewTop = isDoc ? 0 : el.getBoundingClientRect().top + el.clientTop;
    const out = [];
    for (const row of rowElements()) {
      const r = row.getBoundingClientRect();
      if (r.height) out.push({row, offset: Math.round(r.top - viewTop + pos()), height: r.height});
    }
    // Top to bottom as shown, whatever the DOM order (newest-first boxes reverse it).
    return reverse ? out.sort((a, b) => a.offset - b.offset) : out;
  }
  // Share of the visible window that rows fill: near 0 while a virtual list has not
  // rendered the window yet.
  function coverage(all) {
    const top = pos(), bottom = top + el.clientHeight;
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
    return {top: pos(), client: el.clientHeight, clientTop: isDoc ? 0 : el.clientTop,
      rect: r && {x: r.left, y: r.top, width: r.width, height: r.height},
      vh: innerHeight, dpr: devicePixelRatio || 1};
  }
  function offsetOf(row) {
    const viewTop = isDoc ? 0 : el.getBoundingClientRect().top + el.clientTop;
    return Math.round(row.getBoundingClientRect().top - viewTop + pos());
  }
  // The newest message, seen from the bottom: what later arrivals are told apart by.
  async function tail() {
    go(el.scrollHeight);
    if (virtualized(rows())) await rendered(0.5);
    const all = rows();
    const last = all.filter(({row}) => textOf(row)).pop();
    return last ? textOf(last.row) : "";
  }
  return {doc, isDoc, reverse, pos, tail, nextFrame, go, rowElements, textOf, rows, coverage, rendered, virtualized,
          geometry, offsetOf};
}
