// A chat that shows the latest messages and fetches older ones from the server when
// the user scrolls to the top, keeping the view where it was (as real chats do).
(function () {
  const box = document.getElementById("chat");
  const list = document.getElementById("list");
  const loading = document.getElementById("loading");
  const total = chatData.param("n", 400);
  const delay = chatData.param("delay", 100);
  const stallAfter = chatData.param("stall_after", Number(box.dataset.stallAfter || 0));
  // Like many chats, ignore scrolls for a while after a load ("busy" cleared late).
  const settle = chatData.param("settle", 0);
  const pageSize = 30;
  let oldest = Math.max(1, total - pageSize + 1);
  let page = 0;
  let busy = false;

  for (let i = oldest; i <= total; i++) list.append(chatData.render(i));
  box.scrollTop = box.scrollHeight;

  async function older() {
    if (busy || oldest <= 1) return;
    busy = true;
    loading.hidden = false;
    page += 1;
    const query = `before=${oldest}&limit=${pageSize}&delay=${delay}&page=${page}&stall_after=${stallAfter}`;
    try {
      const reply = await fetch("/chat/history?" + query);
      const ids = (await reply.json()).ids;
      const fromBottom = box.scrollHeight - box.scrollTop;
      const batch = document.createDocumentFragment();
      for (const i of ids) batch.append(chatData.render(i));
      list.prepend(batch);
      oldest = ids.length ? ids[0] : oldest;
      if (!ids.length) oldest = 1;
      box.scrollTop = box.scrollHeight - fromBottom;
      loading.hidden = true;
    } catch (error) {
      loading.textContent = "加载失败，请重试";
    } finally {
      if (settle) setTimeout(() => { busy = false; }, settle);
      else busy = false;
    }
  }
  box.addEventListener("scroll", () => { if (box.scrollTop < 60) older(); });
})();
