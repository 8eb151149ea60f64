// Vigil's small behaviours. Loaded as a file so the CSP needs no inline script.
(function () {
  "use strict";
  // Move focus to the error summary so screen-reader users hear what went wrong.
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
  // Buttons that ask for confirmation before a consequential action.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); }
  });

  // Autosave: a form marked data-autosave is saved as a draft a moment after each
  // change, and when the page is hidden, so typed text is never lost. The draft goes to
  // the form's own address with its CSRF field; the server keeps what it can and says
  // which fields it could not take. Nothing is kept in the browser's storage.
  var form = document.querySelector("form[data-autosave]");
  if (!form || !window.fetch) { return; }
  var status = document.getElementById("autosave-status");
  // Not form.action: the form's submit buttons are named "action", and a named control
  // shadows the property (it would be the button, and the draft would go nowhere).
  var target = form.getAttribute("action") || window.location.href;
  var timer = null;
  var dirty = false;
  var saving = false;
  // The items (fields "<item>.<part>") typed into on this page. A draft carries only
  // those: a page drawn before the last draft reached the server (a beacon sent as the
  // previous page went away arrives after the reload) holds an older copy of the rest,
  // which must not overwrite what was saved.
  var touched = {};
  function item(name) { return name && name.indexOf(".") > 0 ? name.split(".")[0] : null; }
  function say(text) { if (status) { status.textContent = text; } }
  function draft() {
    var data = new FormData();
    new FormData(form).forEach(function (value, name) {
      var key = item(name);
      if (key === null || touched[key]) { data.append(name, value); }
    });
    data.set("action", "save");
    return data;
  }
  function save() {
    timer = null;
    if (!dirty || saving) { return; }
    dirty = false;
    saving = true;
    say("Saving…");
    fetch(target, {
      method: "POST",
      body: draft(),
      credentials: "same-origin",
      headers: { "X-Vigil-Autosave": "1", "Accept": "application/json" }
    }).then(function (response) {
      return response.json().then(function (body) {
        return { ok: response.ok, body: body };
      }, function () {  // not JSON: a sign-in page, an expired form, a proxy's error
        return { ok: false, body: { message: "the server answered " + response.status +
          "; your text is still on this page" } };
      });
    }).then(function (result) {
      saving = false;
      var when = new Date().toLocaleTimeString();
      var refused = !(result.body && result.body.saved);
      if (!refused) {
        var problems = result.body.errors ? Object.keys(result.body.errors).length : 0;
        say(problems ? "Draft saved at " + when + "; " + problems + " field(s) not taken: " +
          Object.values(result.body.errors).join(" ") : "Draft saved at " + when + ".");
      } else {
        dirty = true;
        say("Not saved: " + ((result.body && (result.body.message || result.body.detail)) || "try again") + ".");
      }
      // A refusal (an expired session, a completed assessment) is not retried at once;
      // new typing schedules its own save.
      if (dirty) { if (refused) { timer = window.setTimeout(save, 10000); } else { schedule(); } }
    }).catch(function () {
      saving = false;
      dirty = true;
      say("Not saved: the server could not be reached. Your text is still on this page; it will be saved when the connection returns.");
      timer = window.setTimeout(save, 10000);
    });
  }
  function schedule() {
    if (timer) { window.clearTimeout(timer); }
    timer = window.setTimeout(save, 1500);
  }
  function edited(event) {
    var key = item(event.target.name);
    if (key !== null) { touched[key] = true; }
    dirty = true;
    schedule();
  }
  form.addEventListener("input", edited);
  form.addEventListener("change", edited);
  form.addEventListener("submit", function () { dirty = false; if (timer) { window.clearTimeout(timer); } });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden" && dirty && navigator.sendBeacon) {
      // A beacon carries no custom header: it is saved like the draft button.
      if (navigator.sendBeacon(target, draft())) { dirty = false; }
    }
  });
})();
