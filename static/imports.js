// The import run page: follow the run's progress by polling its JSON status, and show the
// finished page (its summary or error report) once the run ends. Without JS, the page has
// a refresh link.
(function () {
  "use strict";
  var panel = document.getElementById("import-progress");
  if (!panel || panel.dataset.finished === "true") { return; }
  var bar = document.getElementById("import-bar");
  var counts = document.getElementById("import-counts");
  var state = document.querySelector("#import-state .badge");
  var shownStatus = null;

  function show(run) {
    if (run.rows_total > 0) {
      bar.max = run.rows_total;
      bar.value = run.rows_done;
      bar.textContent = run.rows_done + " / " + run.rows_total;
      counts.textContent = panel.dataset.counts
        .replace("{done}", run.rows_done.toLocaleString())
        .replace("{total}", run.rows_total.toLocaleString());
    } else {
      bar.removeAttribute("value");
      counts.textContent = "";
    }
    if (run.status !== shownStatus) {
      state.textContent = run.label;
      state.className = "badge import-" + run.status;
      shownStatus = run.status;
    }
  }

  function poll() {
    fetch(panel.dataset.statusUrl, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (response) {
        if (!response.ok) { throw new Error(response.status); }
        return response.json();
      })
      .then(function (run) {
        show(run);
        if (run.finished) {
          window.location.reload();
        } else {
          window.setTimeout(poll, 1000);
        }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }

  window.setTimeout(poll, 500);
})();
