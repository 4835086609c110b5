// The supervision dashboard's charts (Chart.js, vendored): each <canvas data-chart="…">
// carries its labels and numbers as JSON, the same numbers as the tables beside it.
(function () {
  "use strict";
  if (typeof window.Chart === "undefined") { return; }
  var Chart = window.Chart;
  var PALETTE = ["#b32424", "#198754", "#fd7e14", "#0a7ea4", "#6f42c1", "#adb5bd"];
  var RATING_COLOURS = ["#198754", "#20c997", "#dc3545", "#ced4da"];
  var CLASS_COLOURS = ["#198754", "#0a7ea4", "#fd7e14"];

  Chart.defaults.font.family = '"Microsoft YaHei", "PingFang SC", "Noto Sans CJK SC", ' +
    '"Source Han Sans SC", sans-serif';
  Chart.defaults.animation = false;  // drawn at once: printable and screenshot-stable

  function percentLabel(context) {
    var data = context.dataset.data;
    var total = data.reduce(function (sum, n) { return sum + (n || 0); }, 0);
    var value = context.parsed;
    var share = total ? (value * 100 / total).toFixed(1) + "%" : "—";
    return context.label + "：" + value + " 件（" + share + "）";
  }

  function config(spec) {
    var datasets = spec.datasets;
    if (spec.type === "doughnut") {
      var colours = spec.labels.length === 3 ? CLASS_COLOURS : RATING_COLOURS;
      datasets.forEach(function (d) { d.backgroundColor = colours; });
      return {
        type: "doughnut",
        data: { labels: spec.labels, datasets: datasets },
        options: { plugins: { legend: { position: "bottom" },
                              tooltip: { callbacks: { label: percentLabel } } } }
      };
    }
    if (spec.type === "timeline") {
      datasets[0].type = "bar"; datasets[0].backgroundColor = PALETTE[3]; datasets[0].stack = "w";
      datasets[1].type = "bar"; datasets[1].backgroundColor = PALETTE[2]; datasets[1].stack = "w";
      datasets[2].type = "line"; datasets[2].borderColor = PALETTE[0];
      datasets[2].backgroundColor = PALETTE[0]; datasets[2].yAxisID = "rate";
      datasets[2].pointRadius = 0; datasets[2].tension = 0.2;
      return {
        type: "bar",
        data: { labels: spec.labels, datasets: datasets },
        options: {
          interaction: { mode: "index", intersect: false },
          plugins: { legend: { position: "bottom" } },
          scales: {
            x: { stacked: true, title: { display: true, text: "周（起始日）" } },
            y: { stacked: true, beginAtZero: true, title: { display: true, text: "件" } },
            rate: { position: "right", min: 0, max: 100, grid: { drawOnChartArea: false },
                    title: { display: true, text: "累计答复率（%）" } }
          }
        }
      };
    }
    datasets.forEach(function (d, i) {
      d.backgroundColor = PALETTE[i % PALETTE.length];
      d.maxBarThickness = 56;
    });
    var horizontal = spec.type === "hbar";
    return {
      type: "bar",
      data: { labels: spec.labels, datasets: datasets },
      options: {
        indexAxis: horizontal ? "y" : "x",
        plugins: { legend: { display: !horizontal, position: "bottom" } },
        scales: { x: { beginAtZero: true }, y: { beginAtZero: true } }
      }
    };
  }

  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var spec;
    try { spec = JSON.parse(canvas.getAttribute("data-chart")); } catch (e) { return; }
    var chart = config(spec);
    chart.options.responsive = true;
    chart.options.aspectRatio = parseFloat(canvas.getAttribute("data-aspect")) || 2;
    new Chart(canvas, chart);
  });
})();
