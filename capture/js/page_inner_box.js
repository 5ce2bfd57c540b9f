// The page's main inner scrolling box (a description or an order list in a box of its
// own), or null: the widest-by-tallest visible element that scrolls and hides content.
(() => {
  let best = null, bestArea = 0;
  const all = document.body ? document.body.getElementsByTagName("*") : [];
  for (let i = 0; i < all.length && i < 50000; i++) {
    const el = all[i];
    if (el.clientHeight < 200 || el.scrollHeight <= el.clientHeight + 200) continue;
    const overflow = getComputedStyle(el).overflowY;
    if (overflow !== "auto" && overflow !== "scroll") continue;
    const box = el.getBoundingClientRect();
    const area = box.width * el.clientHeight;
    if (box.width >= innerWidth * 0.3 && area > bestArea) { best = el; bestArea = area; }
  }
  return best;
})()
