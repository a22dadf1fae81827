// dealercrm console: progressive enhancement only; every page works without it.
// On the call list, the appointment date is asked for only with the
// "appointment booked" outcome.
(function () {
  "use strict";
  function sync(sel) {
    var form = sel.form, date = form && form.querySelector('input[name="appointment_date"]');
    if (!date) { return; }
    var on = sel.value === "appointment_booked";
    date.required = on;
    date.disabled = !on;
  }
  document.addEventListener("change", function (e) {
    if (e.target && e.target.name === "outcome") { sync(e.target); }
  });
  document.addEventListener("DOMContentLoaded", function () {
    var sels = document.querySelectorAll('select[name="outcome"]');
    for (var i = 0; i < sels.length; i++) { sync(sels[i]); }
  });
})();
