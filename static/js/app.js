// Small progressive enhancements; every page works without them.
(function () {
  "use strict";
  // "增加一行" for author rows: clone the last row and renumber its field names.
  document.querySelectorAll("[data-add-row]").forEach(function (button) {
    button.addEventListener("click", function () {
      var table = document.getElementById(button.getAttribute("data-add-row"));
      var rows = table.querySelectorAll("tbody tr");
      var last = rows[rows.length - 1];
      var clone = last.cloneNode(true);
      var index = rows.length;
      clone.querySelectorAll("input").forEach(function (input) {
        input.name = input.name.replace(/-\d+-/, "-" + index + "-");
        input.id = input.id.replace(/-\d+-/, "-" + index + "-");
        input.value = "";
        input.classList.remove("is-invalid");
      });
      clone.querySelectorAll(".invalid-feedback").forEach(function (el) { el.remove(); });
      var label = clone.querySelector("th");
      if (label) { label.textContent = "附议/联名 " + index; }
      last.parentNode.appendChild(clone);
    });
  });
  // A "select all" box ticks every box of its group (e.g. the items whose 办理单 to print).
  document.querySelectorAll("[data-check-all]").forEach(function (box) {
    box.addEventListener("change", function () {
      document.querySelectorAll("input[data-check-group='" + box.getAttribute("data-check-all") + "']")
        .forEach(function (other) { other.checked = box.checked; });
    });
  });
  // Ask before actions that cannot be undone.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
})();
