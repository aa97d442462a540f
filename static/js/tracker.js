// Daily log enhancements. Every section works without this file (plain forms).
(function () {
  "use strict";
  var statusTimer = null;

  // After an htmx swap: move focus to an error summary so it is read out, and
  // let the status line fade after a few seconds.
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail && event.detail.elt;
    if (target && target.querySelector) {
      var summary = target.querySelector(".error-summary");
      if (summary) { summary.focus(); }
    }
    var status = document.getElementById("day-status");
    if (status && status.textContent.trim()) {
      status.classList.remove("fade");
      window.clearTimeout(statusTimer);
      statusTimer = window.setTimeout(function () {
        status.classList.add("fade");
        window.setTimeout(function () { status.textContent = ""; status.classList.remove("fade"); }, 700);
      }, 3500);
    }
  });

  // A food added from the search list: clear the search box and keep focus there for the next food.
  document.addEventListener("htmx:afterSwap", function (event) {
    var elt = event.detail && event.detail.elt;
    if (!elt || !elt.id || elt.id.indexOf("meal-") !== 0) { return; }
    var input = elt.querySelector("input[type=search]");
    var trigger = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (input && trigger && trigger.closest && trigger.closest(".result")) { input.focus(); }
  });
})();
