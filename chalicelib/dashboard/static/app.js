// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // Filters whose select carries data-autosubmit apply as soon as they change.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (el) {
    el.addEventListener("change", function () { if (el.form) { el.form.submit(); } });
  });
  // A screenshot thumbnail opens full size in a dialog instead of leaving the page.
  if (typeof HTMLDialogElement === "function") {
    document.querySelectorAll("a.thumb[data-full]").forEach(function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        var dialog = document.createElement("dialog");
        dialog.className = "shot";
        var img = document.createElement("img");
        img.src = link.getAttribute("data-full");
        var thumb = link.querySelector("img");
        img.alt = thumb ? thumb.alt : "Screenshot";
        var close = document.createElement("button");
        close.type = "button";
        close.textContent = "Close";
        close.addEventListener("click", function () { dialog.close(); });
        dialog.appendChild(close);
        dialog.appendChild(img);
        dialog.addEventListener("close", function () { dialog.remove(); });
        document.body.appendChild(dialog);
        dialog.showModal();
      });
    });
  }
})();
