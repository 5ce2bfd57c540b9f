// Scroll through the page once, a screen at a time, so lazy images load; then back to
// the top. At most `maxSteps` screens, whatever the page says its height is.
async (maxSteps) => {
  const step = Math.max(200, window.innerHeight);
  let y = 0, n = 0;
  while (n < maxSteps && y < document.documentElement.scrollHeight) {
    window.scrollTo(0, y); n++; y += step;
    await new Promise(r => requestAnimationFrame(r));
  }
  window.scrollTo(0, 0);
  return n;
}
