// Order entry: refresh the safety checks as the prescriber changes the
// order. The form works without this script; signing checks again.
(function () {
  "use strict";
  var form = document.getElementById("order-form");
  if (!form || !form.dataset.preview) { return; }
  var out = document.getElementById("alerts");
  var seq = 0;
  function refresh() {
    var mine = ++seq;
    out.setAttribute("aria-busy", "true");
    fetch(form.dataset.preview, { method: "POST", body: new URLSearchParams(new FormData(form)), credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) { if (mine === seq) { out.innerHTML = html; } })
      .catch(function () { if (mine === seq) { out.textContent = "The checks could not be refreshed; they run again when you sign."; } })
      .finally(function () { if (mine === seq) { out.removeAttribute("aria-busy"); } });
  }
  form.addEventListener("change", refresh);
  form.addEventListener("input", function (e) { if (e.target.tagName === "INPUT") { refresh(); } });
})();
