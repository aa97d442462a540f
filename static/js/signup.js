// Sign-up: the time zone and language of this browser go in the form's hidden fields (the server checks them).
(function () {
  "use strict";
  var zone = document.querySelector("input[name=time_zone]");
  var language = document.querySelector("input[name=language]");
  try {
    if (zone && !zone.value) { zone.value = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; }
  } catch (e) { /* an old browser: the server's default applies */ }
  if (language && !language.value) { language.value = navigator.language || ""; }
})();
