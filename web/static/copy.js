// Progressive enhancement only: without JavaScript the permalink next to each button is a plain link.
document.addEventListener("DOMContentLoaded", function () {
  if (!navigator.clipboard) return; // insecure context or old browser: keep the buttons hidden
  document.querySelectorAll("button.copy[data-copy]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(button.dataset.copy).then(
        function () { button.textContent = "已复制"; },
        function () { button.textContent = "复制失败"; }
      ).finally(function () {
        setTimeout(function () { button.textContent = "复制链接"; }, 1500);
      });
    });
  });
});
