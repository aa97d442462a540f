// Clinic pages: folded tables unfolded for printing. (The print button itself is app.js's [data-print].)
// Everything else works without this file.
(function () {
  "use strict";
  // A closed <details> prints as its summary only: open the report's tables (the charts' data) first.
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll(".clinic-report details").forEach(function (details) { details.open = true; });
  });
})();
