// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // Filters whose select carries data-autosubmit apply as soon as they change.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (el) {
    el.addEventListener("change", function () { if (el.form) { el.form.submit(); } });
  });
  // A new key's copy button (the key stays selectable in its field without JavaScript).
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    var said = document.getElementById("copy-status");
    if (!field || !navigator.clipboard) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(field.value).then(function () {
        button.textContent = "Copied";
        if (said) { said.textContent = "The key is on the clipboard."; }
      }, function () {
        field.select();
        if (said) { said.textContent = "Copying was refused: the key is selected, copy it with Ctrl+C."; }
      });
    });
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
