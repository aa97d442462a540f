// Clinic pages: a print button for the report. Everything else works without this file.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (target instanceof Element && target.closest("[data-print]")) {
      event.preventDefault();
      window.print();
    }
  });
})();
