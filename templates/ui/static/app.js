// seminarflow: small progressive enhancements; every page works without this script.
(function () {
  "use strict";

  // Application form: tell which weeks are still free in the typed city.
  var input = document.querySelector("[data-city-input]");
  var table = document.getElementById("city-weeks");
  var status = document.getElementById("city-status");
  if (input && status) {
    var update = function () {
      var city = input.value.trim().toLowerCase();
      var found = null;
      if (table) {
        table.querySelectorAll("tr[data-city]").forEach(function (row) {
          var match = city !== "" && row.getAttribute("data-city").toLowerCase() === city;
          row.classList.toggle("row-selected", match);
          if (match) { found = row; }
        });
      }
      status.textContent = "";
      if (city === "") { return; }
      var p = document.createElement("p");
      var strong = document.createElement("strong");
      strong.textContent = input.value.trim() + ": ";
      p.appendChild(strong);
      if (!found) {
        p.appendChild(document.createTextNode("заявок в этом городе ещё нет — свободны все недели."));
      } else {
        var cells = found.querySelectorAll("td[data-week]");
        cells.forEach(function (td, i) {
          var span = document.createElement("span");
          var free = td.getAttribute("data-free") === "1";
          span.className = free ? "ok-text" : "bad-text";
          span.textContent = td.getAttribute("data-week") + " — " + td.textContent.trim();
          p.appendChild(span);
          p.appendChild(document.createTextNode(i + 1 < cells.length ? "; " : "."));
        });
      }
      status.appendChild(p);
    };
    input.addEventListener("input", update);
    input.addEventListener("change", update);
  }

  // Read-only fields (the calendar address): select all on focus for easy copying.
  document.querySelectorAll("[data-select-on-focus]").forEach(function (el) {
    el.addEventListener("focus", function () { el.select(); });
  });

  // Ask before irreversible actions.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (e) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { e.preventDefault(); }
    });
  });

  // Copy buttons: shown only where the clipboard is available.
  document.querySelectorAll("[data-copy]").forEach(function (btn) {
    var field = document.querySelector(btn.getAttribute("data-copy"));
    if (!field || !navigator.clipboard) { return; }
    btn.hidden = false;
    btn.addEventListener("click", function () {
      navigator.clipboard.writeText(field.value).then(function () {
        btn.textContent = "Ссылка скопирована";
      });
    });
  });

  // A failed form: the page opens at the error summary; its links open folded sections and
  // put the cursor into the field.
  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.querySelectorAll("a[href^='#']").forEach(function (a) {
      a.addEventListener("click", function (e) {
        var field = document.getElementById(a.getAttribute("href").slice(1));
        if (!field) { return; }
        e.preventDefault();
        for (var d = field.closest("details"); d; d = d.parentElement && d.parentElement.closest("details")) {
          d.open = true;
        }
        field.scrollIntoView({ block: "center" });
        field.focus();
      });
    });
    summary.scrollIntoView({ block: "start" });
    summary.focus();
  }

  // The seminar page opens at the stage that needs attention (unless a link names another).
  var focus = document.querySelector("[data-focus]");
  if (!summary && focus && !window.location.hash) {
    focus.scrollIntoView({ block: "start" });
  }
})();
