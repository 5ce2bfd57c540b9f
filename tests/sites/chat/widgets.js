// Chat widgets built the way third-party customer-service widgets are: inside a shadow
// root, newest-first (column-reverse), loading on a mouse wheel only, behind a
// "查看更多消息" button, live (the agent writes while history loads), with pictures.
// Each page calls one of these; message ids are those of chat-data.js.
window.chatWidgets = (function () {
  const param = chatData.param;
  async function fetchOlder(before, limit, delay) {
    const reply = await fetch(`/chat/history?before=${before}&limit=${limit}&delay=${delay}`);
    return (await reply.json()).ids;
  }
  // Scroll-to-top history like lazy.js: `box` scrolls, `list` holds the rows.
  function lazy(box, list, total, onTop) {
    const pageSize = 30, delay = param("delay", 100);
    let oldest = Math.max(1, total - pageSize + 1), busy = false;
    for (let i = oldest; i <= total; i++) list.append(chatData.render(i));
    box.scrollTop = box.scrollHeight;
    async function older() {
      if (busy || oldest <= 1) return;
      busy = true;
      const ids = await fetchOlder(oldest, pageSize, delay);
      const fromBottom = box.scrollHeight - box.scrollTop;
      const batch = document.createDocumentFragment();
      for (const i of ids) batch.append(chatData.render(i));
      list.prepend(batch);
      oldest = ids.length ? ids[0] : 1;
      box.scrollTop = box.scrollHeight - fromBottom;
      busy = false;
    }
    box.addEventListener("scroll", () => { if ((onTop || (() => box.scrollTop < 60))()) older(); });
    return older;
  }
  function shadow(host) {
    const root = host.attachShadow({mode: "open"});
    root.innerHTML = `<link rel="stylesheet" href="chat.css">
      <div class="panel"><div class="chat-box" part="box"><div class="rows"></div></div>
      <div class="composer"><textarea></textarea></div></div>`;
    lazy(root.querySelector(".chat-box"), root.querySelector(".rows"), param("n", 250));
  }
  // Newest first: the first child is shown at the bottom, scrollTop is 0 there and
  // negative above it; older messages are appended, which shows them at the top.
  function reverse(box) {
    const total = param("n", 150), pageSize = 30, delay = param("delay", 100);
    let oldest = Math.max(1, total - pageSize + 1), busy = false;
    for (let i = total; i >= oldest; i--) box.append(chatData.render(i));
    box.addEventListener("scroll", async () => {
      if (busy || oldest <= 1) return;
      if (box.scrollTop > -(box.scrollHeight - box.clientHeight) + 60) return;
      busy = true;
      const ids = await fetchOlder(oldest, pageSize, delay);
      for (const i of ids.slice().reverse()) box.append(chatData.render(i));
      oldest = ids.length ? ids[0] : 1;
      busy = false;
    });
  }
  // Six short messages that do not fill the box; older ones come on a wheel up only.
  function wheel(box, list) {
    const total = param("n", 126), pageSize = 20, delay = param("delay", 100);
    let oldest = total - 5, busy = false;
    for (let i = oldest; i <= total; i++) list.append(chatData.render(i));
    box.addEventListener("wheel", async (event) => {
      if (event.deltaY >= 0 || box.scrollTop > 0 || busy || oldest <= 1) return;
      busy = true;
      const ids = await fetchOlder(oldest, pageSize, delay);
      const fromBottom = box.scrollHeight - box.scrollTop;
      const batch = document.createDocumentFragment();
      for (const i of ids) batch.append(chatData.render(i));
      list.prepend(batch);
      oldest = ids.length ? ids[0] : 1;
      box.scrollTop = box.scrollHeight - fromBottom;
      busy = false;
    });
  }
  // No scroll loading: a 查看更多消息 button above the rows, gone at the start.
  function more(box, list, button) {
    const total = param("n", 200), pageSize = 20, delay = param("delay", 100);
    let oldest = total - pageSize + 1;
    for (let i = oldest; i <= total; i++) list.append(chatData.render(i));
    box.scrollTop = box.scrollHeight;
    button.addEventListener("click", async () => {
      button.disabled = true;
      const ids = await fetchOlder(oldest, pageSize, delay);
      const fromBottom = box.scrollHeight - box.scrollTop;
      const batch = document.createDocumentFragment();
      for (const i of ids) batch.append(chatData.render(i));
      list.prepend(batch);
      oldest = ids.length ? ids[0] : 1;
      if (oldest <= 1 && !param("stuck", 0)) button.remove();
      box.scrollTop = box.scrollHeight - fromBottom;
      button.disabled = false;
    });
  }
  // History as lazy.js, and the agent writing every `every` ms (ids after the
  // history), the widget jumping to the newest message each time.
  function live(box, list) {
    const total = param("n", 150), every = param("every", 1500), most = param("live_max", 60);
    lazy(box, list, total);
    let next = total + 1;
    // `poll=1`: each new message is fetched (a polling widget), else pushed (a socket).
    const poll = param("poll", 0);
    const timer = setInterval(async () => {
      if (next > total + most) { clearInterval(timer); return; }
      if (poll) await fetch(`/chat/history?before=${next}&limit=0&delay=50`);
      list.append(chatData.render(next++));
      box.scrollTop = box.scrollHeight;
    }, every);
  }
  // No history to scroll for: `shown` messages, and once the box is scrolled down from
  // its top (the capture's pictures, not its history search), older messages pushed
  // in above, `batch` at a time at uneven intervals, the view kept where it was.
  function pushed(box, list) {
    const total = param("n", 400), shown = param("shown", 150);
    const batchSize = param("batch", 10), times = param("times", 20);
    let oldest = total - shown + 1, wasTop = false, started = false;
    for (let i = oldest; i <= total; i++) list.append(chatData.render(i));
    box.scrollTop = box.scrollHeight;
    const gaps = [17, 61, 113, 37, 89];
    function push(n) {
      if (n >= times || oldest <= 1) return;
      const fromBottom = box.scrollHeight - box.scrollTop;
      const batch = document.createDocumentFragment();
      const first = Math.max(1, oldest - batchSize);
      for (let i = first; i < oldest; i++) batch.append(chatData.render(i));
      list.prepend(batch);
      oldest = first;
      box.scrollTop = box.scrollHeight - fromBottom;
      setTimeout(() => push(n + 1), gaps[n % gaps.length]);
    }
    box.addEventListener("scroll", () => {
      if (box.scrollTop < 60) wasTop = true;
      else if (wasTop && box.scrollTop > 200 && !started) { started = true; push(0); }
    });
  }
  return {shadow, reverse, wheel, more, live, pushed};
})();
