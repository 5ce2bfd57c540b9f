// [key, value] of every localStorage and sessionStorage item (storage the page may not
// reach, e.g. on an opaque origin, is skipped). An expression for Runtime.evaluate.
(() => { const out = [];
  for (const s of [window.localStorage, window.sessionStorage]) {
    try { for (let i = 0; i < s.length; i++) out.push([s.key(i), s.getItem(s.key(i))]); } catch (e) {}
  } return out; })()
