// A conversation with identical messages: same sender, same minute, same text, several
// in a row and again later. Every one of them is a message and must survive.
(function () {
  const script = [
    ["卖家", "10:01", "您好，卡密已经发送，请查收"],
    ["买家", "10:02", "没有收到"],
    ["卖家", "10:02", "请您刷新一下订单页面看看"],
    ["买家", "10:03", "好的"],
    ["买家", "10:03", "好的"],
    ["买家", "10:03", "好的"],
    ["买家", "10:05", "还是没有"],
    ["卖家", "10:06", "稍等"],
    ["卖家", "10:06", "稍等"],
    ["卖家", "10:09", "系统显示已经发货了"],
  ];
  const filler = [
    ["买家", "请给我退款"],
    ["卖家", "好的"],
    ["买家", "好的"],
    ["卖家", "这个问题需要联系平台客服处理"],
    ["买家", "好的"],
    ["买家", "好的"],
  ];
  // Grouped by day, as many chats are: each day is a block with its title and rows.
  const days = [["5月1日", script.slice()], ["5月2日", []], ["5月3日", []]];
  for (let round = 0; round < 8; round++) {
    for (const [sender, text] of filler) {
      days[round < 4 ? 1 : 2][1].push([sender, "11:" + String(round * 6).padStart(2, "0"), text]);
    }
  }
  days[2][1].push(["卖家", "12:00", "好的"], ["卖家", "12:00", "好的"]);
  const list = document.getElementById("list");
  for (const [title, rows] of days) {
    const day = document.createElement("div");
    day.className = "day";
    const heading = document.createElement("div");
    heading.className = "notice day-title";
    heading.textContent = "—— " + title + " ——";
    day.append(heading);
    for (const [sender, time, text] of rows) {
      const row = document.createElement("div");
      row.className = "msg " + (sender === "买家" ? "buyer" : "seller");
      const meta = document.createElement("div");
      meta.className = "meta";
      meta.textContent = sender + " · " + time;
      const bubble = document.createElement("div");
      bubble.className = "bubble";
      bubble.textContent = text;
      row.append(meta, bubble);
      day.append(row);
    }
    list.append(day);
  }
  const box = document.getElementById("chat");
  box.scrollTop = box.scrollHeight;
})();
