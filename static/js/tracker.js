// Daily log enhancements. Every section works without this file (plain forms).
(function () {
  "use strict";
  var statusTimer = null;
  // What had focus when an htmx request started, described so it can be found again
  // in the fragment that replaces it (the old element is gone after an outerHTML swap).
  var pending = null;

  function describe(elt) {
    if (!elt || elt === document.body || !elt.tagName) { return null; }
    var form = elt.form || (elt.closest && elt.closest("form"));
    var food = form && form.querySelector("input[name=food]");
    return {
      tag: elt.tagName,
      name: elt.getAttribute("name") || "",
      value: elt.tagName === "BUTTON" ? (elt.getAttribute("value") || "") : null,
      href: elt.tagName === "A" ? elt.getAttribute("href") : null,
      action: form ? form.getAttribute("action") : null,
      food: food ? food.value : null
    };
  }

  function find(root, wanted) {
    var candidates = root.querySelectorAll(wanted.tag.toLowerCase());
    for (var i = 0; i < candidates.length; i++) {
      var c = candidates[i];
      if (wanted.href !== null) {
        if (c.getAttribute("href") === wanted.href) { return c; }
        continue;
      }
      var form = c.form || c.closest("form");
      if (!form || form.getAttribute("action") !== wanted.action) { continue; }
      if ((c.getAttribute("name") || "") !== wanted.name) { continue; }
      if (wanted.value !== null && (c.getAttribute("value") || "") !== wanted.value) { continue; }
      var food = form.querySelector("input[name=food]");
      if (wanted.food !== null && (!food || food.value !== wanted.food)) { continue; }
      return c;
    }
    return null;
  }

  function focusQuietly(elt) {
    if (!elt.hasAttribute("tabindex") && !elt.matches("a[href], button, input, select, textarea, summary")) {
      elt.setAttribute("tabindex", "-1");
    }
    elt.focus();
  }

  function focusLost() {
    var active = document.activeElement;
    return !active || active === document.body || !active.isConnected;
  }

  // The link that opened a delete question: "No, keep it" brings focus back to it.
  var opener = null;

  document.addEventListener("htmx:beforeRequest", function () {
    var active = document.activeElement;
    var keep = active && active.tagName === "A" && active.closest && active.closest(".confirm-box");
    pending = keep && opener ? opener : describe(active);
  });

  // After an htmx swap, keep the keyboard where the person was: an error summary is
  // read out first; a delete question takes focus; otherwise the control they used
  // (found again in the new fragment), else the section's heading. Never the page top.
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail && event.detail.elt;
    // (Parts sent out of band beside the answer, such as a meal's "more" box, are not where the person was.)
    var aside = target && target.id && (target.id === "day-status" || target.id === "day-score" || target.id.indexOf("meal-more-") === 0);
    if (target && target.querySelector && !aside) {
      var summary = target.querySelector(".error-summary");
      var question = target.querySelector(".confirm-box");
      if (summary) {
        summary.focus();
      } else if (question) {
        opener = pending;
        focusQuietly(question);
      } else if (focusLost() && target.isConnected) {
        var again = pending && find(target, pending);
        var section = target.closest("section") || target;
        var heading = section.querySelector("h2, h3");
        if (again) { again.focus(); }
        if (focusLost()) {
          // The control now sits folded under the section's one-line summary: focus that line.
          var line = section.querySelector("summary.section-line");
          if (line) { line.focus(); } else if (heading) { focusQuietly(heading); }
        }
      }
    }
    var status = document.getElementById("day-status");
    if (status && status.textContent.trim()) {
      // The status region is read out, not shown (what changed is shown in place, in the page's
      // flow, so nothing ever covers a control); empty it so the same words are read next time.
      window.clearTimeout(statusTimer);
      statusTimer = window.setTimeout(function () { status.textContent = ""; }, 4000);
    }
  });

  // An answer made only of out-of-band parts (a favourite, a copied day) replaces the control
  // that was used: find it again anywhere in the page.
  document.addEventListener("htmx:afterSettle", function () {
    if (pending && focusLost()) {
      var again = find(document, pending);
      if (again) { again.focus(); }
    }
  });

  // Type-ahead results replace their whole box, so the "8 foods found" line inside is a new
  // live region each time, which screen readers do not announce: repeat it in one that stays.
  // (Made when the page loads: a region must exist before its text changes to be read.)
  var searchLive = document.createElement("div");
  searchLive.id = "search-live";
  searchLive.className = "visually-hidden";
  searchLive.setAttribute("role", "status");
  searchLive.setAttribute("aria-live", "polite");
  document.body.appendChild(searchLive);
  document.addEventListener("htmx:afterSwap", function (event) {
    var elt = event.detail && event.detail.elt;
    if (!elt || !elt.id || elt.id.indexOf("results-") !== 0) { return; }
    var found = elt.querySelector("[role=status]");
    searchLive.textContent = found ? found.textContent.trim() : "";
  });

  // Opening a meal's folded "add another food" line goes straight to its search box.
  document.addEventListener("toggle", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("details.meal-add") || !box.open) { return; }
    var input = box.querySelector("input[type=search]");
    if (input) { input.focus(); }
  }, true);

  // A food added from the search list: only the meal's list is redrawn, never the search box.
  // If the box still holds the words that found the food, it is emptied for the next food and
  // keeps the focus; anything typed since the tap is left exactly as it is.
  var searchedFor = null;
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    var result = elt && elt.closest && elt.closest(".result");
    var section = result && result.closest("section.meal");
    var input = section && section.querySelector("input[type=search]");
    searchedFor = input ? { input: input, value: input.value, button: document.activeElement } : null;
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var elt = event.detail && event.detail.elt;
    if (!searchedFor || !elt || !elt.id || elt.id.indexOf("meal-body-") !== 0) { return; }
    var input = searchedFor.input;
    var trigger = event.detail.requestConfig && event.detail.requestConfig.elt;
    var added = !elt.querySelector(".add-retry");
    if (trigger && trigger.closest && trigger.closest(".result") && added && input.isConnected && input.value === searchedFor.value) {
      var results = document.getElementById(input.getAttribute("aria-controls"));
      input.value = "";
      if (results) { results.innerHTML = ""; }
      var active = document.activeElement;
      if (focusLost() || active === searchedFor.button || (results && results.contains(active)) || active === input) { input.focus(); }
    }
    searchedFor = null;
  });
})();
