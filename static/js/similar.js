// Similar items beside the registration form, and past paragraphs inserted into the draft.
(function () {
  "use strict";
  if (window.trackerSimilar) { return; }  // included by two partials at most once per page
  window.trackerSimilar = true;

  // Registration: as the clerk types the title (and body), ask for similar items (debounced).
  document.querySelectorAll("[data-similar-url]").forEach(function (panel) {
    var title = document.getElementById("title");
    var body = document.getElementById("body");
    var meeting = document.getElementById("meeting_id");
    var results = panel.querySelector(".similar-results");
    var timer = null, controller = null, last = "";
    if (!title || !results) { return; }

    function refresh() {
      var params = new URLSearchParams({
        title: title.value.trim(),
        body: body ? body.value.trim().slice(0, 400) : "",
        meeting: meeting ? meeting.value : ""
      });
      var key = params.toString();
      if (key === last || (!params.get("title") && !params.get("body"))) { return; }
      last = key;
      if (controller) { controller.abort(); }
      controller = new AbortController();
      panel.classList.add("similar-loading");
      fetch(panel.getAttribute("data-similar-url") + "?" + key, {
        signal: controller.signal, credentials: "same-origin", headers: {"Accept": "text/html"}
      }).then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.text();
      }).then(function (html) {
        results.innerHTML = html;  // rendered and escaped by the server's template
        panel.classList.remove("similar-loading");
      }).catch(function (error) {
        if (error.name === "AbortError") { return; }
        panel.classList.remove("similar-loading");
        last = "";
        results.textContent = "暂时无法查询相似建议提案，请稍后再试。";
      });
    }

    function later() {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, 400);
    }

    title.addEventListener("input", later);
    if (body) { body.addEventListener("input", later); }
    if (meeting) { meeting.addEventListener("change", later); }
    if (title.value.trim()) { refresh(); }
  });

  // Draft editor: insert a past reply's paragraph at the cursor, as a line of its own.
  document.querySelectorAll("[data-insert-into]").forEach(function (button) {
    button.addEventListener("click", function () {
      var textarea = document.getElementById(button.getAttribute("data-insert-into"));
      var source = button.parentNode.querySelector(".past-paragraph");
      if (!textarea || !source) { return; }
      var text = source.textContent;
      var start = textarea.selectionStart, end = textarea.selectionEnd;
      var before = textarea.value.slice(0, start), after = textarea.value.slice(end);
      if (before && before.slice(-1) !== "\n") { text = "\n" + text; }
      if (after.charAt(0) !== "\n") { text = text + "\n"; }
      textarea.value = before + text + after;
      var cursor = before.length + text.length;
      textarea.focus();
      textarea.setSelectionRange(cursor, cursor);
      textarea.dispatchEvent(new Event("input", {bubbles: true}));
    });
  });
})();
