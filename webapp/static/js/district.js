// The district view's chart: the figures by month, fetched as JSON (the CSP allows no inline
// script, so the page carries only the address) and drawn with the vendored Chart.js.
(function () {
  "use strict";
  var canvas = document.getElementById("district-chart");
  if (!canvas || typeof Chart === "undefined") { return; }
  var zh = (document.documentElement.lang || "").indexOf("zh") === 0;
  var colours = ["#1a73e8", "#188038", "#b06000", "#8a1c17"];
  fetch(canvas.getAttribute("data-figures"), {credentials: "same-origin", headers: {"Accept": "application/json"}})
    .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
    .then(function (data) {
      var names = Object.keys(data.measures);
      var datasets = names.map(function (name, i) {
        return {
          label: zh ? data.measures[name].zh : data.measures[name].en,
          // Shares come as whole hundredths of a percent (exact integers); shown as percent.
          data: data.points.map(function (p) { return p[name].hundredths === null ? null : p[name].hundredths / 100; }),
          borderColor: colours[i % colours.length],
          backgroundColor: colours[i % colours.length],
          tension: 0,
          spanGaps: false
        };
      });
      new Chart(canvas, {
        type: "line",
        data: {labels: data.points.map(function (p) { return p.day.slice(0, 7); }), datasets: datasets},
        options: {
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          scales: {y: {min: 0, max: 100, ticks: {callback: function (v) { return v + "%"; }}}},
          plugins: {
            title: {display: true, text: canvas.getAttribute("data-t-title")},
            tooltip: {callbacks: {label: function (c) {
              var p = data.points[c.dataIndex][names[c.datasetIndex]];
              return c.dataset.label + ": " + c.formattedValue + "% (" + p.count + "/" + data.points[c.dataIndex].estates + ")";
            }}}
          }
        }
      });
    })
    .catch(function () { canvas.parentNode.hidden = true; });
}());
