// A <select data-autosubmit> submits its form when changed (a file, not an inline
// onchange: the Content-Security-Policy allows no inline script).
document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
  select.addEventListener("change", function () { select.form.submit(); });
});
