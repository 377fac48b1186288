/* Live job progress without inline scripts: every element with data-job-status polls that JSON
   address every second while the job is queued or running, moves its <progress>, fills its
   data-job-field elements and shows the data-job-when parts that match the job's state.  When a
   job is done the document gets an "ownersvote:job-done" event (the letters page then reloads
   its counts from data-counts-url). */
(function () {
  "use strict";

  var ACTIVE = { queued: true, running: true };

  function each(root, selector, fn) {
    Array.prototype.forEach.call(root.querySelectorAll(selector), fn);
  }

  function matches(when, s) {
    if (when === "active") { return !!ACTIVE[s.state]; }
    if (when === "available") { return !!s.result_available; }
    if (when === "removed") { return !!s.removed; }
    return s.state === when;
  }

  function apply(status, box, s) {
    var bar = status.querySelector("progress");
    if (bar) {
      if (s.state === "done") {
        bar.max = s.total || 100;
        bar.value = bar.max;
      } else if (s.total > 0 || s.state === "failed") {
        bar.max = s.total || 100;
        bar.value = s.done;
      } else {
        bar.removeAttribute("value");   /* indeterminate until the job knows its size */
      }
      bar.textContent = s.percent + "%";
    }
    each(box, "[data-job-field]", function (el) {
      var value = s[el.getAttribute("data-job-field")];
      el.textContent = (value === null || value === undefined ? "" : String(value)) + (el.getAttribute("data-suffix") || "");
    });
    each(box, "[data-job-when]", function (el) { el.hidden = !matches(el.getAttribute("data-job-when"), s); });
    each(box, "[data-job-download]", function (el) { if (s.download_url) { el.href = s.download_url; } });
    each(box, ".tag[data-job-field=state_label]", function (el) { el.className = "tag state-" + s.state; });
    status.setAttribute("data-job-state", s.state);
  }

  function watch(status) {
    var box = status.closest("[data-job-box]") || status;
    var url = status.getAttribute("data-job-status");
    var last = status.getAttribute("data-job-state");
    function tick() {
      fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
        .then(function (r) {
          if (r.status === 404 || r.status === 403) { return null; }
          if (!r.ok) { throw new Error("status " + r.status); }
          return r.json();
        })
        .then(function (s) {
          if (!s) { return; }
          apply(status, box, s);
          if (s.state === "done" && last !== "done") {
            document.dispatchEvent(new CustomEvent("ownersvote:job-done", { detail: s }));
          }
          last = s.state;
          if (ACTIVE[s.state]) { window.setTimeout(tick, 1000); }
          else if (s.result_available) { window.setTimeout(tick, 5000); }  /* until it is downloaded or expires */
        })
        .catch(function () { window.setTimeout(tick, 5000); });
    }
    if (ACTIVE[last] || last === "done") { tick(); }
  }

  function refreshCounts() {
    each(document, "[data-counts-url]", function (stats) {
      fetch(stats.getAttribute("data-counts-url"), { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (counts) {
          if (!counts) { return; }
          each(stats, "[data-count]", function (el) {
            var value = counts[el.getAttribute("data-count")];
            el.textContent = String(value === undefined ? 0 : value);
          });
          stats.setAttribute("data-counts-fresh", "1");
        });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    each(document, "[data-job-status]", watch);
    document.addEventListener("ownersvote:job-done", refreshCounts);
  });
})();
