// Alpha bitmaps of characters drawn with the default sans-serif font: doctor compares
// them with the missing-glyph box to tell whether Chinese text would render.
(chars) => {
  const canvas = document.createElement('canvas');
  canvas.width = 64; canvas.height = 64;
  const ctx = canvas.getContext('2d', {willReadFrequently: true});
  ctx.font = '40px sans-serif';
  ctx.textBaseline = 'top';
  return chars.map((ch) => {
    ctx.clearRect(0, 0, 64, 64);
    ctx.fillText(ch, 4, 4);
    const rgba = ctx.getImageData(0, 0, 64, 64).data;
    let alpha = '';
    for (let i = 3; i < rgba.length; i += 4) alpha += String.fromCharCode(rgba[i]);
    return btoa(alpha);
  });
}
