// Clinic pages: a print button for the report, and folded tables unfolded for printing.
// Everything else works without this file.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (target instanceof Element && target.closest("[data-print]")) {
      event.preventDefault();
      window.print();
    }
  });
  // A closed <details> prints as its summary only: open the report's tables (the charts' data) first.
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll(".clinic-report details").forEach(function (details) { details.open = true; });
  });
})();
