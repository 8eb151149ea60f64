// The operating picture's live updates: ask for the picture's live part every few
// seconds with the version the page holds; the server answers 204 when nothing changed,
// else the new part, which replaces the old one. A served file (strict CSP: no inline
// script). Polling pauses while the tab is hidden; screen readers hear one short note.
(function () {
  "use strict";
  var live = document.getElementById("picture-live");
  var status = document.getElementById("picture-status");
  if (!live || !window.fetch) { return; }
  var source = live.getAttribute("data-src");
  var version = live.getAttribute("data-version") || "";
  var seconds = Math.max(1, parseInt(live.getAttribute("data-interval"), 10) || 2);
  var timer = null;
  var failures = 0;
  function say(text) { if (status) { status.textContent = text; } }
  function schedule(delay) {
    if (timer) { window.clearTimeout(timer); }
    timer = window.setTimeout(poll, delay);
  }
  function poll() {
    timer = null;
    if (document.hidden) { return; }
    fetch(source + "?v=" + encodeURIComponent(version), {
      credentials: "same-origin",
      headers: { "Accept": "text/html" },
      cache: "no-store"
    }).then(function (response) {
      if (response.status === 204) { return null; }
      if (!response.ok) { throw new Error("status " + response.status); }
      var next = response.headers.get("X-Picture-Version") || "";
      return response.text().then(function (html) { return { html: html, version: next }; });
    }).then(function (update) {
      failures = 0;
      if (update) {
        live.innerHTML = update.html;
        version = update.version;
        live.setAttribute("data-version", version);
        say("Updated at " + new Date().toLocaleTimeString() + ".");
      }
      schedule(seconds * 1000);
    }).catch(function () {
      failures += 1;
      say("Not updated: the server could not be reached; trying again.");
      schedule(Math.min(60, seconds * Math.pow(2, failures)) * 1000);
    });
  }
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) { schedule(0); }
  });
  schedule(seconds * 1000);
})();
