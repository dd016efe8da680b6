// Nothing typed is lost, nothing is sent twice:
// - the text of every form is kept in this tab's session storage as it is typed, and put
//   back when the form comes back empty (a refused post, a session that ended, a file too
//   large); every page lists the forms the server saved lately with the one-time token each
//   was saved with (body[data-saved-forms]), and a draft kept under that token goes;
// - files are checked against the limits the field states before anything is uploaded;
// - a form is sent once per click; and when the person goes back to a form they sent and
//   sends the same content again (the page comes back with a fresh token but the browser
//   keeps what was typed), it goes with the token it was first sent with, so the server
//   lands it on the first result instead of doing it twice.
// What is kept belongs to the signed-in person (body[data-user]) and goes at sign-out.
(function () {
  "use strict";
  var DRAFT = "onestop-draft:";
  var SENT = "onestop-sent:";
  var RESEND_WINDOW_MS = 10 * 60 * 1000;
  var body = document.body;
  var store = window.sessionStorage;
  var user = body.getAttribute("data-user") || "";
  var navigation = (window.performance && performance.getEntriesByType &&
    performance.getEntriesByType("navigation")[0]) || {};
  var cameBack = navigation.type === "back_forward";

  function pathOf(form) {
    return new URL(form.getAttribute("action") || location.href, location.href).pathname;
  }

  function tokenOf(form) {
    var once = form.querySelector("input[name=once]");
    return once ? once.value : "";
  }

  function read(key) {
    try { return JSON.parse(store.getItem(key) || "null"); } catch (e) { return null; }
  }

  function write(key, value) {
    try { store.setItem(key, JSON.stringify(value)); } catch (e) { /* storage full or off */ }
  }

  function textFields(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && !el.disabled && (el.tagName === "TEXTAREA" ||
        (el.tagName === "INPUT" && /^(text|search|email|number|datetime-local|date)$/.test(el.type)));
    });
  }

  function keepsDrafts(form) {
    return form.method.toLowerCase() === "post" && !form.querySelector("input[type=password]") &&
      textFields(form).length > 0;
  }

  function saveDraft(form) {
    var fields = {};
    textFields(form).forEach(function (el) { if (el.value) { fields[el.name] = el.value; } });
    write(DRAFT + pathOf(form), {user: user, token: tokenOf(form), fields: fields});
  }

  function forgetSavedDrafts() {
    var saved;
    try { saved = JSON.parse(body.getAttribute("data-saved-forms") || "{}"); } catch (e) { saved = {}; }
    Object.keys(saved).forEach(function (path) {
      var draft = read(DRAFT + path);
      if (draft && draft.token === saved[path]) { store.removeItem(DRAFT + path); }
    });
  }

  function restoreDraft(form) {
    var draft = read(DRAFT + pathOf(form));
    if (!draft || !draft.fields || draft.user !== user) { return; }
    var restored = false;
    textFields(form).forEach(function (el) {
      if (!el.value && draft.fields[el.name]) { el.value = draft.fields[el.name]; restored = true; }
    });
    if (restored) {
      var note = document.createElement("p");
      note.className = "flash info";
      note.setAttribute("role", "status");
      note.textContent = body.getAttribute("data-draft-restored");
      form.insertBefore(note, form.firstChild);
      var details = form.closest("details");
      if (details) { details.open = true; }
    }
  }

  // What the person chose on the form (not the hidden fields the server fills in).
  function contentOf(form) {
    var parts = [];
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.type === "hidden" || el.type === "submit" || el.disabled) { return; }
      if ((el.type === "checkbox" || el.type === "radio") && !el.checked) { return; }
      if (el.type === "file") {
        Array.prototype.forEach.call(el.files || [], function (f) {
          parts.push(el.name + "=" + f.name + ":" + f.size);
        });
        return;
      }
      parts.push(el.name + "=" + el.value);
    });
    return parts.join("\n");
  }

  function reuseTokenOfSameContent(form) {
    var once = form.querySelector("input[name=once]");
    if (!once) { return; }
    var key = SENT + pathOf(form);
    var content = contentOf(form);
    var sent = read(key);
    if (cameBack && sent && sent.user === user && sent.content === content &&
        Date.now() - sent.at < RESEND_WINDOW_MS) {
      once.value = sent.token;
    }
    write(key, {user: user, token: once.value, content: content, at: Date.now()});
  }

  function fileProblem(input) {
    var form = input.form;
    var kept = form ? form.querySelectorAll("input[name=kept]:checked").length : 0;
    var files = Array.prototype.slice.call(input.files || []);
    if (files.length + kept > Number(input.dataset.maxFiles)) {
      return input.dataset.tooMany;
    }
    for (var i = 0; i < files.length; i++) {
      if (files[i].size > Number(input.dataset.maxBytes)) {
        return input.dataset.tooLarge.replace("{name}", files[i].name);
      }
    }
    return "";
  }

  function showFileProblem(input, problem) {
    var error = document.getElementById(input.id + "-error");
    if (error) {
      error.textContent = problem;
      error.hidden = !problem;
    }
    input.setAttribute("aria-invalid", problem ? "true" : "false");
  }

  function forgetEverything() {
    for (var i = store.length - 1; i >= 0; i--) {
      var key = store.key(i);
      if (key.indexOf(DRAFT) === 0 || key.indexOf(SENT) === 0) { store.removeItem(key); }
    }
  }

  forgetSavedDrafts();

  Array.prototype.forEach.call(document.forms, function (form) {
    if (keepsDrafts(form)) {
      restoreDraft(form);
      form.addEventListener("input", function () { saveDraft(form); });
    }
    form.addEventListener("change", function (event) {
      if (event.target.matches && event.target.matches("input[type=file][data-max-bytes]")) {
        showFileProblem(event.target, fileProblem(event.target));
      }
    });
    form.addEventListener("submit", function (event) {
      if (form.hasAttribute("data-sign-out")) { forgetEverything(); }
      var inputs = form.querySelectorAll("input[type=file][data-max-bytes]");
      for (var i = 0; i < inputs.length; i++) {
        var problem = fileProblem(inputs[i]);
        showFileProblem(inputs[i], problem);
        if (problem) {
          event.preventDefault();
          inputs[i].focus();
          return;
        }
      }
      if (form.dataset.sending) {
        event.preventDefault();
        return;
      }
      form.dataset.sending = "1";
      reuseTokenOfSameContent(form);
      if (keepsDrafts(form)) { saveDraft(form); }
      // Let go again if the page stays (a download, a slow network the user gives up on).
      setTimeout(function () { delete form.dataset.sending; }, 10000);
    });
  });

  window.addEventListener("pageshow", function () {
    Array.prototype.forEach.call(document.forms, function (form) { delete form.dataset.sending; });
  });
}());
