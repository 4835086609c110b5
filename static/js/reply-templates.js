// The reply-template picker of the draft editor (templates/replies/_template_picker.html).
// Puts the picked template, already filled for this item, into the editor: an opening or a
// closing fills its field, a 下一步工作 paragraph goes in after the line the cursor is in (or
// at the end), a whole model reply becomes the body (asking before replacing typed text).
// Nothing is saved until the drafter saves; without JavaScript the picker's
// "套用并保存" button does the same on the server.
(function () {
  "use strict";
  var picker = document.querySelector("[data-picker]");
  if (!picker) { return; }
  var select = picker.querySelector("[data-template-select]");
  var insert = picker.querySelector("[data-template-insert]");
  var nojs = picker.querySelector("[data-template-nojs]");
  var preview = picker.querySelector("[data-template-preview]");
  var status = picker.querySelector("[data-template-status]");
  var form = picker.closest("form");
  if (!select || !insert || !form) { return; }
  var body = form.querySelector("textarea[name=body]");
  var opening = form.querySelector("[name=opening]");
  var closing = form.querySelector("[name=closing]");
  insert.hidden = false;
  if (nojs) { nojs.hidden = true; }

  // Where the drafter's cursor was in the body (the button takes the focus away).
  var cursor = null;
  if (body) {
    ["keyup", "click", "select", "input"].forEach(function (name) {
      body.addEventListener(name, function () { cursor = body.selectionStart; });
    });
  }

  function picked() {
    var option = select.options[select.selectedIndex];
    return option && option.value ? option : null;
  }

  function show() {
    var option = picked();
    picker.querySelectorAll("[data-place]").forEach(function (el) {
      el.hidden = !option || el.getAttribute("data-place") !== option.getAttribute("data-kind");
    });
    preview.hidden = !option;
    preview.textContent = option ? option.getAttribute("data-text") : "";
    insert.disabled = !option;
    status.textContent = "";
  }

  function flash(field) {
    field.classList.add("template-filled");
    window.setTimeout(function () { field.classList.remove("template-filled"); }, 1500);
  }

  function paragraph(text) {
    var value = body.value.replace(/\s+$/, "");
    if (!value) { body.value = text; return; }
    if (cursor === null || cursor > body.value.length) {
      body.value = value + "\n" + text;
      return;
    }
    var end = body.value.indexOf("\n", cursor);
    if (end < 0) { end = body.value.length; }
    body.value = body.value.slice(0, end).replace(/\s+$/, "") + "\n" + text +
      (end < body.value.length ? "\n" + body.value.slice(end + 1) : "");
    cursor = end + 1 + text.length;
  }

  insert.addEventListener("click", function () {
    var option = picked();
    if (!option) { return; }
    var kind = option.getAttribute("data-kind");
    var text = option.getAttribute("data-text");
    var field = null;
    var done = "";
    if (kind === "opening" && opening) {
      field = opening;
      var details = opening.closest("details");
      if (details) { details.open = true; }
      done = "已填入开头语";
    } else if (kind === "closing" && closing) {
      field = closing;
      done = "已填入结束语";
    } else if (kind === "next_steps" && body) {
      paragraph(text);
      flash(body);
      status.textContent = "已插入下一步工作段落，保存答复稿后生效。";
      return;
    } else if (kind === "model" && body) {
      var typed = body.value.trim();
      if (typed && typed !== text.trim() &&
          !window.confirm("正文已有内容，套用整篇范文将替换全部正文（已保存的旧稿仍在版本记录中）。确定替换吗？")) {
        return;
      }
      field = body;
      done = "已用范文替换正文";
    }
    if (!field) { return; }
    field.value = text;
    flash(field);
    status.textContent = done + "，保存答复稿后生效。";
  });

  select.addEventListener("change", show);
  show();
})();
