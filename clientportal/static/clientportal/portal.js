// The client portal's own script (the Content-Security-Policy allows no inline script).
(function () {
  "use strict";
  // The account switcher submits itself when another account is chosen.
  var select = document.getElementById("account-select");
  if (select) {
    select.addEventListener("change", function (event) {
      event.target.form.submit();
    });
  }
  // Installable: the service worker keeps the app shell and an offline page, never account data.
  var body = document.body;
  if ("serviceWorker" in navigator && body && body.dataset.serviceWorker) {
    navigator.serviceWorker
      .register(body.dataset.serviceWorker, { scope: "/" })
      .catch(function () { /* the portal works without it */ });
  }
})();
