// Draws the weekly trend charts. The figures come from <script type="application/json"> blocks
// (json_script); every chart has a data table beside it, so the page works without this file.
(function () {
  "use strict";

  // On a phone the week labels would overlap: keep about one label per 90 pixels.
  function thinTicks(layout, width) {
    var axis = layout && layout.xaxis;
    if (!axis || !axis.tickvals || !width) { return; }
    var room = Math.max(2, Math.floor(width / 90));
    if (axis.tickvals.length <= room) { return; }
    var step = Math.ceil(axis.tickvals.length / room);
    axis.tickvals = axis.tickvals.filter(function (_, i) { return i % step === 0; });
    axis.ticktext = axis.ticktext.filter(function (_, i) { return i % step === 0; });
  }

  function draw(root) {
    if (!window.Plotly || !root || !root.querySelectorAll) { return; }
    root.querySelectorAll("[data-trend-figure]").forEach(function (element) {
      if (element.dataset.drawn === "1") { return; }
      var source = document.getElementById(element.dataset.trendFigure);
      if (!source) { return; }
      var figure = JSON.parse(source.textContent);
      thinTicks(figure.layout, element.clientWidth);
      element.dataset.drawn = "1";
      window.Plotly.newPlot(element, figure.data, figure.layout, figure.config).then(function () {
        element.classList.add("is-drawn");
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  // Charts swapped in by htmx once their weeks are built.
  document.addEventListener("htmx:load", function (event) { draw(event.target); });
})();
