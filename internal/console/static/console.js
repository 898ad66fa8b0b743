// openwaba console: the little the pages need JavaScript for. Everything
// works without it; with it, the parts marked data-live refresh in place
// (short polling of the page itself: the server renders, the script only
// swaps the marked elements) and a template choice submits itself.
"use strict";
(function () {
  var main = document.querySelector("main[data-live-page]");
  var interval = 2000;

  function refresh() {
    if (document.visibilityState !== "visible") { return schedule(); }
    fetch(location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) {
        if (!r.ok || r.url.indexOf("/console/signin") >= 0) { return null; }
        return r.text();
      })
      .then(function (html) {
        if (html === null) { return; } // signed out or gone: stop polling
        var doc = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-live][id]").forEach(function (el) {
          var fresh = doc.getElementById(el.id);
          if (fresh && fresh.innerHTML !== el.innerHTML && !el.contains(document.activeElement)) {
            el.innerHTML = fresh.innerHTML;
          }
        });
        schedule();
      })
      .catch(schedule);
  }
  function schedule() { setTimeout(refresh, interval); }
  if (main) { schedule(); }

  document.querySelectorAll("select[data-autosubmit]").forEach(function (sel) {
    sel.addEventListener("change", function () { if (sel.value) { sel.form.submit(); } });
  });
  document.querySelectorAll("[data-hide-with-js]").forEach(function (el) { el.hidden = true; });
})();
