// The little the workspace needs beyond HTMX: auto-submitting filters, a file size check
// before upload, Ctrl+Enter to send, and a readable notice when a request fails.
(function () {
  "use strict";

  document.documentElement.classList.remove("no-js");

  function showNotice(text, kind) {
    var area = document.getElementById("notice");
    if (!area) return;
    var paragraph = document.createElement("p");
    paragraph.className = "notice " + (kind || "error");
    paragraph.setAttribute("role", kind === "success" ? "status" : "alert");
    paragraph.textContent = text;
    area.replaceChildren(paragraph);
  }

  // Filters apply as soon as a choice changes.
  document.addEventListener("change", function (event) {
    var form = event.target.closest("form[data-autosubmit]");
    if (form) form.requestSubmit();
  });

  // Refuse a file that is over the limit before it is uploaded.
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[type=file][data-max-bytes]")) return;
    var limit = Number(input.dataset.maxBytes);
    var form = input.form;
    var message = form && form.querySelector(".file-error");
    var tooLarge = Array.prototype.filter.call(input.files, function (file) {
      return file.size > limit;
    });
    if (!message) return;
    if (tooLarge.length) {
      message.textContent = tooLarge
        .map(function (file) { return input.dataset.tooLarge.replace("{name}", file.name); })
        .join(" ");
      message.hidden = false;
      input.value = "";
    } else {
      message.hidden = true;
      message.textContent = "";
    }
  });

  // Ctrl+Enter (Cmd+Enter on a Mac) in the composer sends.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    var form = event.target.closest && event.target.closest("form.composer");
    if (form) {
      event.preventDefault();
      form.requestSubmit(form.querySelector("button[type=submit]"));
    }
  });

  // Failures HTMX does not swap in: say so instead of doing nothing.
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    var body = document.body.dataset;
    showNotice(status === 404 ? body.notFoundText : body.errorText);
  });
  document.addEventListener("htmx:sendError", function () {
    showNotice(document.body.dataset.offlineText);
  });

  // After a reply or note, show the newest entry of the conversation.
  document.addEventListener("htmx:afterSettle", function (event) {
    var form = event.detail.elt;
    if (!form || !form.classList || !form.classList.contains("composer")) return;
    var timeline = document.getElementById("timeline");
    if (timeline && timeline.lastElementChild) {
      timeline.lastElementChild.scrollIntoView({ block: "nearest" });
    }
  });

  // Times in lists arrive as exact local times; show them as "5 minutes ago" in the
  // page's language, and keep them fresh while the page stays open.
  var relativeSteps = [
    ["year", 31536000], ["month", 2592000], ["week", 604800], ["day", 86400],
    ["hour", 3600], ["minute", 60]
  ];
  function relativeTimes(root) {
    if (!window.Intl || !Intl.RelativeTimeFormat) return;
    var format = new Intl.RelativeTimeFormat(document.documentElement.lang || "en", { numeric: "auto" });
    var now = Date.now();
    (root || document).querySelectorAll("time[data-relative]").forEach(function (node) {
      var when = Date.parse(node.getAttribute("datetime"));
      if (isNaN(when)) return;
      if (!node.title) node.title = node.textContent;
      var seconds = Math.round((when - now) / 1000);
      var text = format.format(0, "second");
      for (var i = 0; i < relativeSteps.length; i++) {
        var unit = relativeSteps[i];
        if (Math.abs(seconds) >= unit[1]) {
          text = format.format(Math.round(seconds / unit[1]), unit[0]);
          break;
        }
      }
      node.textContent = text;
    });
  }
  document.addEventListener("DOMContentLoaded", function () { relativeTimes(); });
  document.addEventListener("htmx:afterSettle", function (event) { relativeTimes(event.detail.elt); });
  setInterval(relativeTimes, 60000);
})();
