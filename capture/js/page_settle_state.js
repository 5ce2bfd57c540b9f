// How settled the page's content is: milliseconds since the document last changed
// (1e9 when it has not since parsing, null when the watch is missing) and the first visible loading indicator, if any.
(() => {
  const LOADING_TEXT = /^\s*(加载中|正在加载|载入中|努力加载中|请稍候|loading)[\s.…。·]*$/i;
  const SELECTORS = '[aria-busy="true"], [role="progressbar"], [class*="spinner" i], '
    + '[class*="loading" i], [class*="loader" i], [class*="skeleton" i], [id*="loading" i]';
  const visible = (el) => {
    const box = el.getBoundingClientRect();
    if (box.width < 1 || box.height < 1) return false;
    const style = getComputedStyle(el);
    return style.visibility !== "hidden" && Number(style.opacity) > 0.05;
  };
  const name = (el) => el.tagName.toLowerCase()
    + (el.id ? `#${el.id}` : "")
    + (typeof el.className === "string" && el.className.trim()
      ? "." + el.className.trim().split(/\s+/).slice(0, 2).join(".") : "");
  const byText = () => {
    if (!document.body) return null;
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = 0, node; n < 5000 && (node = walker.nextNode()); n++) {
      const text = node.nodeValue;
      if (text.length < 20 && LOADING_TEXT.test(text) && node.parentElement
          && visible(node.parentElement)) return `text "${text.trim()}"`;
    }
    return null;
  };
  const bySelector = () => {
    for (const el of Array.from(document.querySelectorAll(SELECTORS)).slice(0, 500)) {
      if (visible(el)) return name(el);
    }
    return null;
  };
  const watch = window[Symbol.for("evidence-capture.settle")];
  // Unchanged since parsing: quiet as long as the page has existed, whatever that is.
  const quiet = !watch ? null : watch.last === null ? 1e9 : performance.now() - watch.last;
  return { quiet, loader: byText() || bySelector() };
})()
