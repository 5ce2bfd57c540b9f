// The PDF's copy of every screenshot: re-encoded as JPEG, at most as many pixels wide as
// its data-print-px says, in place in the loaded report (page scripts stay off; this runs
// from Playwright). The bundle keeps the original PNG, which is the evidence.
// `ready`: srcs that are JPEG copies already (report/copies.py's blob URLs).
// `keep`: leave the images as they are and return [src, blob URL] pairs: copies.py keeps
// the JPEGs in this page until the report is printed in it (pdf.py), so they never cross
// over to us and back, and are decoded once, for the print.
async ([quality, ready, keep]) => {
  const done = new Set(ready || []);
  // A plain loop: Uint8Array.from with a function per byte took five times as long
  // (0.17 s of the renderer's time for the 30,000 px page's copies).
  const bytesOf = (dataUrl) => {
    const text = atob(dataUrl.slice(dataUrl.indexOf(",") + 1));
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    return bytes;
  };
  const path = (src) => { try { return decodeURIComponent(src); } catch (e) { return src; } };
  const images = [...document.querySelectorAll("img[data-print-px]")]
    .filter((img) => !done.has(path(img.getAttribute("src") || "")));
  const widest = new Map();  // one screenshot is shown in several slices: encode it once
  for (const img of images) {
    const src = img.getAttribute("src");
    widest.set(src, Math.max(widest.get(src) || 0, Number(img.dataset.printPx) || 0));
  }
  const encoded = new Map();
  for (const img of images) {
    const src = img.getAttribute("src");
    if (encoded.has(src) || !img.complete || !img.naturalWidth) continue;
    const scale = Math.min(1, widest.get(src) / img.naturalWidth);
    const canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(img.naturalWidth * scale));
    canvas.height = Math.max(1, Math.round(img.naturalHeight * scale));
    const context = canvas.getContext("2d");
    if (!context) continue;  // larger than a canvas may be: the PNG is printed instead
    context.fillStyle = "#fff";  // JPEG has no transparency: show it on white, as the page is
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.imageSmoothingQuality = "high";
    context.drawImage(img, 0, 0, canvas.width, canvas.height);
    const url = canvas.toDataURL("image/jpeg", quality);
    if (!url.startsWith("data:image/jpeg")) continue;
    // A blob from the data URL, not canvas.toBlob: with page scripts off, its callback never runs.
    encoded.set(src, keep ? URL.createObjectURL(new Blob([bytesOf(url)], {type: "image/jpeg"})) : url);
  }
  if (keep) return [...encoded];
  const swapped = images.filter((img) => encoded.has(img.getAttribute("src")));
  for (const img of swapped) img.src = encoded.get(img.getAttribute("src"));
  await Promise.all(swapped.map((img) => img.decode().catch(() => null)));
  return swapped.length;
}
