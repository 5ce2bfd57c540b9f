// Customer-service chat: older messages load when the box is scrolled to the top
// (the scroll position is kept), and a long-poll stays open for new messages.
(function () {
  var log = document.getElementById("chat-log");
  if (!log) return;
  var status = document.getElementById("chat-history-status");
  var orderId = log.dataset.orderId;
  var api = "/api/chat/" + encodeURIComponent(orderId);
  var hasMore = log.dataset.hasMore === "true";
  var loading = false;
  var failed = false;
  var AVATARS = { buyer: null, seller: "客" };

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = text;
    return node;
  }

  // Same markup as the server's partials/message.html.
  function render(m) {
    var box = el("div", "msg msg-" + m.role);
    box.dataset.msgId = m.id;
    var avatar = el("div", "msg-avatar");
    avatar.setAttribute("aria-hidden", "true");
    var initial = m.role === "buyer" ? m.sender.slice(-1) : (AVATARS[m.role] || "");
    avatar.dataset.initial = initial;
    var main = el("div", "msg-main");
    var meta = el("div", "msg-meta");
    meta.appendChild(el("span", "msg-sender", m.sender));
    meta.appendChild(document.createTextNode(" "));
    meta.appendChild(el("time", "msg-time", m.time));
    main.appendChild(meta);
    main.appendChild(el("div", "msg-text", m.text));
    box.appendChild(avatar);
    box.appendChild(main);
    return box;
  }

  function messages() { return log.querySelectorAll("[data-msg-id]"); }

  function showStatus() {
    if (failed) status.textContent = "加载失败，请稍后再向上滚动";
    else if (loading) status.textContent = "正在加载更早的消息…";
    else if (hasMore) status.textContent = "向上滚动加载更早的消息";
    else status.textContent = "已加载全部 " + messages().length + " 条聊天记录";
    status.classList.toggle("done", !hasMore && !loading);
    // Only near the top, where the box leaves room for it: never over a message.
    status.hidden = !(loading || failed || log.scrollTop < 20);
  }

  function loadOlder() {
    if (loading || !hasMore) return;
    var first = messages()[0];
    if (!first) return;
    loading = true;
    failed = false;
    showStatus();
    fetch(api + "/history?before=" + first.dataset.msgId + "&limit=30", { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
      .then(function (data) {
        var oldHeight = log.scrollHeight, oldTop = log.scrollTop;
        var frag = document.createDocumentFragment();
        data.messages.forEach(function (m) { frag.appendChild(render(m)); });
        log.prepend(frag);
        // Keep the message the reader was looking at in place.
        log.scrollTop = oldTop + (log.scrollHeight - oldHeight);
        hasMore = Boolean(data.has_more) && data.messages.length > 0;
      })
      .catch(function () { failed = true; })
      .finally(function () {
        loading = false;
        showStatus();
      });
  }

  log.addEventListener("scroll", function () {
    if (log.scrollTop < 40) loadOlder();
    showStatus();
  }, { passive: true });

  function sleep(ms) { return new Promise(function (done) { setTimeout(done, ms); }); }

  // Long-poll like a real chat: one request always pending, so the page is never
  // network-idle. Bounded so a forgotten tab does not poll for ever.
  async function poll() {
    for (var round = 0; round < 2000; round++) {
      var all = messages();
      var last = all.length ? all[all.length - 1].dataset.msgId : "";
      try {
        var r = await fetch(api + "/poll" + (last ? "?after=" + last : ""), { credentials: "same-origin" });
        if (r.status === 401 || r.status === 404) return;
        if (!r.ok) { await sleep(3000); continue; }
        var data = await r.json();
        var nearBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
        data.messages.forEach(function (m) { log.appendChild(render(m)); });
        if (nearBottom) log.scrollTop = log.scrollHeight;
      } catch (e) {
        await sleep(3000);
      }
    }
  }

  log.scrollTop = log.scrollHeight;
  showStatus();
  poll();
})();
