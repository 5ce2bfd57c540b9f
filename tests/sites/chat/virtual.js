// A virtualized conversation: all messages are known, but only the rows near the
// visible window exist in the DOM, absolutely positioned in a tall spacer, rendered
// in the frame after a scroll (as React virtual lists do) and in reverse DOM order.
(function () {
  const box = document.getElementById("chat");
  const spacer = document.getElementById("spacer");
  const total = chatData.param("n", 400);
  const ROW = 64;
  const OVERSCAN = chatData.param("overscan", 10);
  spacer.style.height = total * ROW + "px";
  function render() {
    const first = Math.max(1, Math.floor(box.scrollTop / ROW) + 1 - OVERSCAN);
    const last = Math.min(total, Math.ceil((box.scrollTop + box.clientHeight) / ROW) + OVERSCAN);
    const rows = [];
    for (let i = last; i >= first; i--) {
      const row = chatData.render(i);
      row.classList.add("vrow");
      row.style.top = (i - 1) * ROW + "px";
      rows.push(row);
    }
    spacer.replaceChildren(...rows);
  }
  // ?render_delay=MS: render only once scrolling has paused that long, as
  // debounced lists do (the window is blank until then).
  const renderDelay = chatData.param("render_delay", 0);
  let pending = false;
  let timer = 0;
  box.addEventListener("scroll", () => {
    if (renderDelay) {
      clearTimeout(timer);
      timer = setTimeout(render, renderDelay);
      return;
    }
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; render(); });
  });
  box.scrollTop = box.scrollHeight;
  render();
})();
