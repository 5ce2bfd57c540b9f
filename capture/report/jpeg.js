// The PDF's copy of one screenshot: re-encoded as JPEG, at most `width` pixels wide.
// Run in a scratch page of the report's own (routed) origin, so the canvas is not
// tainted; the bundle keeps the original PNG, which is the evidence.
async ([url, width, quality]) => {
  const img = new Image();
  img.src = url;
  await img.decode();
  const scale = Math.min(1, width / img.naturalWidth);
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(img.naturalWidth * scale));
  canvas.height = Math.max(1, Math.round(img.naturalHeight * scale));
  const context = canvas.getContext("2d");
  if (!context) return null;  // larger than a canvas may be: the PNG is printed instead
  context.fillStyle = "#fff";  // JPEG has no transparency: show it on white, as the page is
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.imageSmoothingQuality = "high";
  context.drawImage(img, 0, 0, canvas.width, canvas.height);
  const blob = await new Promise((done) => canvas.toBlob(done, "image/jpeg", quality));
  if (!blob) return null;
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(text);
}
