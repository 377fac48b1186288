// The district view's chart: the figures by month, fetched as JSON (the CSP allows no inline
// script, so the page carries only the address) and drawn with the vendored Chart.js.
(function () {
  "use strict";
  var canvas = document.getElementById("district-chart");
  if (!canvas || typeof Chart === "undefined") { return; }
  var zh = (document.documentElement.lang || "").indexOf("zh") === 0;
  var colours = ["#1a73e8", "#b06000", "#188038", "#8a1c17"];
  // Where two measures have the same value their lines coincide: each line has its own colour,
  // width, dash and point shape, the wide solid one drawn under the thin dashed one, so both
  // stay visible (and tell apart without colour); the legend shows the shapes.
  var looks = [
    {borderWidth: 4, borderDash: [], pointStyle: "circle", pointRadius: 5, order: 2},
    {borderWidth: 3, borderDash: [8, 6], pointStyle: "rectRot", pointRadius: 6, order: 1},
    {borderWidth: 2, borderDash: [2, 3], pointStyle: "triangle", pointRadius: 6, order: 0},
    {borderWidth: 2, borderDash: [12, 3, 2, 3], pointStyle: "rect", pointRadius: 5, order: -1}
  ];
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
          borderWidth: looks[i % looks.length].borderWidth,
          borderDash: looks[i % looks.length].borderDash,
          pointStyle: looks[i % looks.length].pointStyle,
          pointRadius: looks[i % looks.length].pointRadius,
          pointHoverRadius: looks[i % looks.length].pointRadius + 2,
          order: looks[i % looks.length].order,
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
            // (in the measures' order, not the drawing order)
            legend: {display: true, position: "bottom", labels: {usePointStyle: true, padding: 14,
              sort: function (a, b) { return a.datasetIndex - b.datasetIndex; }}},
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
