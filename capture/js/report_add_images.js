// The converter's page (report/copies.py) keeps one document for the whole run: each
// batch of pictures is added as tiny images, converted by report_jpeg.js (`convert`, keeping the
// JPEGs as blob URLs), and removed again.
async ([items, quality], convert) => {
  // Shown tiny: laid out at their natural size, a 30 000 px tile would be painted too.
  const images = items.map(([src, px]) => {
    const img = document.createElement("img");
    img.style.cssText = "width:4px;height:4px";
    img.dataset.printPx = String(px);
    img.setAttribute("src", src);
    document.body.append(img);
    return img;
  });
  await Promise.all(images.map((img) => img.decode().catch(() => null)));
  try {
    return await convert([quality, [], true]);
  } finally {
    for (const img of images) img.remove();
  }
}
