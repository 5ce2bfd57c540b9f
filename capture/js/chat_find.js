// One library for detection and for a selector the user gave. Runs in the page;
// returns the elements with CSS paths to name them, never touches the DOM. Open shadow
// roots are looked into, as Playwright's selectors do. `rowParents` is chat_rows.js.
(target, opts, rowParents) => {
  const CHAT_WORDS = /chat|message|msg|conversation|dialog|talk|(^|[^a-z])im([-_ ]|$)|聊天|消息|客服|会话|对话/i;
  const doc = document;
  const vw = innerWidth || 1, vh = innerHeight || 1;
  const isDoc = (el) => el === doc.scrollingElement || el === doc.documentElement || el === doc.body;
  function scrollBox(el) {
    if (isDoc(el)) return false;
    const style = getComputedStyle(el);
    if (!/(auto|scroll|overlay)/.test(style.overflowY)) return false;
    if (style.visibility === "hidden" || style.display === "none") return false;
    return el.clientHeight >= 40;
  }
  const scrolls = (el) => scrollBox(el) && el.scrollHeight > el.clientHeight + 4;
  const up = (n) => n.parentElement || (n.parentNode && n.parentNode.host) || null;
  function everything(root, out) {
    for (const el of root.querySelectorAll("*")) {
      if (out.length >= 50000) break;
      out.push(el);
      if (el.shadowRoot) everything(el.shadowRoot, out);
    }
    return out;
  }
  function area(el) {
    const r = el.getBoundingClientRect();
    return Math.max(0, Math.min(r.width, vw)) * Math.max(0, Math.min(r.height, vh));
  }
  function names(el) {
    const cls = typeof el.className === "string" ? el.className : "";
    return [el.id, cls, el.getAttribute("role") || "", el.getAttribute("aria-label") || ""].join(" ");
  }
  function composerBelow(el) {
    // Chats have their message box right under the conversation.
    const r = el.getBoundingClientRect();
    let scope = el.parentElement;
    for (let depth = 0; scope && depth < 2; depth++, scope = scope.parentElement) {
      const boxes = scope.querySelectorAll('textarea, [contenteditable=""], [contenteditable="true"], [role="textbox"]');
      for (const box of boxes) {
        if (el.contains(box)) continue;
        const b = box.getBoundingClientRect();
        if (b.width && b.height && b.top >= r.bottom - 8 && b.top - r.bottom < 200 &&
            b.left < r.right && b.right > r.left) return true;
      }
    }
    return false;
  }
  function judge(el) {
    const reasons = [];
    const share = area(el) / (vw * vh);
    let score = share;
    const parents = rowParents(el);
    const parent = parents[0];
    const kids = parents.flatMap((p) => Array.from(p.children));
    if (kids.length >= 3) {
      const shapes = new Map();
      let texty = 0;
      for (const k of kids) {
        const shape = k.tagName + "." + (k.classList[0] || "");
        shapes.set(shape, (shapes.get(shape) || 0) + 1);
        if ((k.textContent || "").trim()) texty++;
      }
      const common = Math.max(...shapes.values());
      if (common / kids.length >= 0.6 && texty / kids.length >= 0.6) {
        score += 1.5;
        reasons.push(`${kids.length} similar rows with text`);
      }
    }
    let hinted = CHAT_WORDS.test(names(parent)) || (kids[0] && CHAT_WORDS.test(names(kids[0])));
    for (let n = el, depth = 0; n && depth < 3 && !hinted; n = up(n), depth++) {
      hinted = CHAT_WORDS.test(names(n)) || n.getAttribute("role") === "log";
    }
    if (hinted) { score += 1; reasons.push("chat-like names"); }
    const reverse = /reverse/.test(getComputedStyle(el).flexDirection || "");
    const latest = reverse ? el.scrollTop > -4 && el.scrollTop <= 0 && el.scrollHeight > el.clientHeight + 4
      : el.scrollTop > 0 && el.scrollTop + el.clientHeight >= el.scrollHeight - 4;
    if (latest) {
      score += 1;
      reasons.push("scrolled to the latest");
    }
    if (composerBelow(el)) { score += 0.5; reasons.push("message box below"); }
    reasons.push(`${Math.round(share * 100)}% of the viewport`);
    return {score: Math.round(score * 1000) / 1000, reasons};
  }
  // Inside a shadow root: the host's path, then ">>" (Playwright's chaining, which
  // looks into the shadow root) and the path inside it, from the root's top.
  function cssPath(el) {
    if (isDoc(el)) return "html";
    const root = el.getRootNode();
    const parts = [];
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      if (node.id) {
        const byId = "#" + CSS.escape(node.id);
        if (root.querySelectorAll(byId).length === 1) { parts.unshift(byId); break; }
      }
      if (node === doc.documentElement) { parts.unshift("html"); break; }
      let part = node.tagName.toLowerCase();
      const parent = node.parentElement || node.parentNode;
      if (!parent || !parent.children) { parts.unshift(part); break; }
      const same = Array.from(parent.children).filter((c) => c.tagName === node.tagName);
      if (same.length > 1) part += `:nth-of-type(${same.indexOf(node) + 1})`;
      parts.unshift(part);
    }
    const path = parts.join(" > ");
    if (root !== doc && root.host) {
      const host = cssPath(root.host);
      if (!host) return null;
      return host + " >> " + (parts[0].startsWith("#") ? path : ":scope > " + path);
    }
    return doc.querySelector(path) === el ? path : null;
  }
  function candidate(el) {
    const path = cssPath(el);
    if (!path) return null;
    return {path, el, scrollHeight: el.scrollHeight, clientHeight: el.clientHeight, ...judge(el)};
  }
  function best(els, test = scrolls) {
    const found = els.filter(test).map(candidate).filter(Boolean);
    found.sort((a, b) => b.score - a.score);
    return found;
  }
  // A box that does not overflow yet (its older messages come on a wheel up) is a
  // conversation only with rows and chat-like names.
  const waiting = (found) => found.filter((c) => c.score >= 2.5).map((c) => ({...c, waiting: true}));
  const page = doc.scrollingElement || doc.documentElement;
  const pageScrolls = page.scrollHeight > page.clientHeight + 4;
  if (!target) {
    const all = everything(doc.body || doc.documentElement, []);
    const found = best(all);
    // Only on a page that does not scroll itself: else the page is the conversation.
    const still = found.length || pageScrolls ? [] : waiting(best(all, scrollBox));
    return {found: found.length ? found : still, pageScrolls};
  }
  // A selector the user gave: the box itself, the box inside it, or the box around it.
  if (isDoc(target)) return {found: [], pageScrolls, how: "page"};
  if (scrolls(target)) return {found: [candidate(target)].filter(Boolean), pageScrolls, how: "itself"};
  const below = everything(target, []);
  if (target.shadowRoot) everything(target.shadowRoot, below);
  const inside = best(below);
  if (inside.length) return {found: inside, pageScrolls, how: "inside"};
  for (let n = up(target); n; n = up(n)) {
    if (scrolls(n)) return {found: [candidate(n)].filter(Boolean), pageScrolls, how: "around"};
  }
  if (scrollBox(target)) return {found: [candidate(target)].filter(Boolean), pageScrolls, how: "waiting"};
  const boxes = best(below, scrollBox);
  if (boxes.length) return {found: boxes, pageScrolls, how: "waiting"};
  return {found: [candidate(target)].filter(Boolean), pageScrolls, how: "as-is"};
}
