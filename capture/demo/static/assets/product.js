// 展开全部 / 收起 for the collapsed seller terms on a product page.
(function () {
  var button = document.getElementById("expand-btn");
  var body = document.getElementById("more-terms-body");
  if (!button || !body) return;
  var preview = document.querySelector("#more-terms .collapsible-preview");
  button.addEventListener("click", function () {
    var open = body.hidden;
    body.hidden = !open;
    if (preview) preview.classList.toggle("faded", !open);
    button.textContent = open ? "收起" : "展开全部";
    button.setAttribute("aria-expanded", String(open));
  });
})();
