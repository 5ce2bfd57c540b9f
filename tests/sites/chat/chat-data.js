// The test conversation, generated deterministically so that the tests (and the
// benchmark) know exactly which messages exist: message i is "#m" + 4 digits.
window.chatData = (function () {
  const SELLER = [
    "您好，卡密已经发送，请查收",
    "亲，系统显示已经发货了哦",
    "请您刷新一下订单页面看看",
    "卡密是自动发货的，不会有问题",
    "麻烦提供一下充值页面的截图",
    "我们这边查不到任何异常",
    "稍等，我帮您核实一下",
    "这个问题需要联系平台客服处理，我们这边没有办法退款，请您理解",
  ];
  const BUYER = [
    "我没有收到卡密",
    "订单页面什么都没有显示",
    "我已经刷新很多次了",
    "请给我退款",
    "截图已经发给你了",
    "你之前说已经发了，但是我到现在还是没有收到，充值页面提示卡密无效",
    "好的",
    "什么时候能处理好？",
  ];
  function pad(n, w) { return String(n).padStart(w, "0"); }
  function message(i) {
    const buyer = (i * 7) % 5 < 2;
    const list = buyer ? BUYER : SELLER;
    const minutes = 9 * 60 + i;
    return {
      id: "m" + pad(i, 4),
      sender: buyer ? "买家" : "卖家",
      role: buyer ? "buyer" : "seller",
      time: "05-01 " + pad(Math.floor(minutes / 60) % 24, 2) + ":" + pad(minutes % 60, 2),
      text: list[(i * 13) % list.length],
    };
  }
  function render(i) {
    const m = message(i);
    const row = document.createElement("div");
    row.className = "msg " + m.role;
    row.dataset.msgId = m.id;
    const meta = document.createElement("div");
    meta.className = "meta";
    meta.textContent = m.sender + " · " + m.time + " · #" + m.id;
    const bubble = document.createElement("div");
    bubble.className = "bubble";
    bubble.textContent = m.text;
    row.append(meta, bubble);
    return row;
  }
  function param(name, fallback) {
    const value = new URLSearchParams(location.search).get(name);
    return value === null ? fallback : Number(value);
  }
  return { message, render, param };
})();
