/* Small progressive enhancements; every page works without this file. No inline scripts (CSP). */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    // Put keyboard and screen-reader focus on the error summary after a refused form.
    var summary = document.querySelector("[data-focus]");
    if (summary) { summary.focus(); }

    // The registrant's time zone, so emails can show times in it as well.
    var tz = document.querySelector("[data-browser-timezone]");
    if (tz && !tz.value && window.Intl && Intl.DateTimeFormat) {
      try { tz.value = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { /* keep empty */ }
    }

    // Forms that deserve a second thought (cancel someone, send to everyone).
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
      });
    });
  });
})();
