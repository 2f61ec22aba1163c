/* Small progressive enhancements; every page works without this file. No inline scripts (CSP). */
(function () {
  "use strict";

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  // "2027-03-10T09:30" plus minutes, as the same wall-clock notation (no time zone: the server reads it in the
  // event's zone, exactly as the keyboard form's datetime-local fields).
  function addMinutes(local, minutes) {
    var parts = local.split(/[-T:]/).map(Number);
    var d = new Date(Date.UTC(parts[0], parts[1] - 1, parts[2], parts[3], parts[4]) + minutes * 60000);
    return d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) + "T" +
      pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes());
  }

  // The organizer's agenda grid: drag a session onto an empty half hour of a room to move it there. The move is the
  // same form post as the keyboard editor's, so the server checks conflicts and permissions exactly the same way.
  function agendaDragAndDrop() {
    var grid = document.querySelector("[data-agenda-grid]");
    var form = document.getElementById("drop-move-form");
    if (!grid || !form) { return; }
    var dragged = null;
    grid.querySelectorAll("[data-session]").forEach(function (card) {
      card.addEventListener("dragstart", function (event) {
        dragged = card;
        card.classList.add("dragging");
        event.dataTransfer.effectAllowed = "move";
        event.dataTransfer.setData("text/plain", card.getAttribute("data-session"));
      });
      card.addEventListener("dragend", function () { card.classList.remove("dragging"); });
    });
    grid.querySelectorAll("[data-drop-start]").forEach(function (slot) {
      slot.addEventListener("dragover", function (event) {
        if (dragged) { event.preventDefault(); slot.classList.add("drop-target"); }
      });
      slot.addEventListener("dragleave", function () { slot.classList.remove("drop-target"); });
      slot.addEventListener("drop", function (event) {
        event.preventDefault();
        slot.classList.remove("drop-target");
        if (!dragged) { return; }
        var start = slot.getAttribute("data-drop-start");
        var minutes = parseInt(dragged.getAttribute("data-minutes"), 10) || 30;
        form.action = form.getAttribute("data-move-base") + dragged.getAttribute("data-session") + "/move";
        form.elements.room_id.value = slot.getAttribute("data-drop-room");
        form.elements.starts_at.value = start;
        form.elements.ends_at.value = addMinutes(start, minutes);
        form.submit();
      });
    });
  }

  // Track colours come from organizers: set through the CSSOM (allowed by the CSP, unlike style attributes).
  function trackColours() {
    document.querySelectorAll("[data-color]").forEach(function (el) {
      var colour = el.getAttribute("data-color");
      if (/^#[0-9a-fA-F]{6}$/.test(colour)) { el.style.borderLeftColor = colour; }
    });
  }

  // The organization picker: the list follows what is typed (the same search as the API's, accents and case
  // ignored), the chosen organization stays, and a polite live region says how many match.
  function organizationPickers() {
    document.querySelectorAll("[data-org-picker]").forEach(function (picker) {
      var search = picker.querySelector("[data-org-search]");
      var select = picker.querySelector("[data-org-select]");
      var count = picker.querySelector("[data-org-count]");
      var find = picker.querySelector("[data-org-find]");
      if (!search || !select || !window.fetch) { return; }
      if (find) { find.hidden = true; }
      var timer = null;
      var asked = 0;
      function say(n) {
        var text = n === 0 ? count.getAttribute("data-none-found") :
          n === 1 ? count.getAttribute("data-one") : count.getAttribute("data-many").replace("{count}", n);
        count.textContent = text;
      }
      function fill(found) {
        var chosen = select.value;
        var keep = chosen ? select.querySelector('option[value="' + chosen + '"]') : null;
        while (select.options.length > 1) { select.remove(1); }
        var seen = {};
        found.forEach(function (o) {
          var option = document.createElement("option");
          option.value = String(o.id);
          option.textContent = o.name + (o.country ? " (" + o.country + ")" : "");
          seen[option.value] = true;
          select.appendChild(option);
        });
        if (keep && !seen[chosen]) { select.appendChild(keep); }
        select.value = chosen;
        if (found.length === 1 && !chosen) { select.value = String(found[0].id); }
        say(found.length);
      }
      search.addEventListener("input", function () {
        window.clearTimeout(timer);
        timer = window.setTimeout(function () {
          var q = search.value.trim();
          var mine = ++asked;
          fetch("/api/organizations" + (q ? "?q=" + encodeURIComponent(q) : ""), {headers: {"Accept": "application/json"}})
            .then(function (r) { return r.ok ? r.json() : []; })
            .then(function (found) { if (mine === asked) { fill(found.slice(0, 100)); } })
            .catch(function () { /* keep the list as it is */ });
        }, 250);
      });
      search.addEventListener("keydown", function (event) {
        if (event.key === "Enter") { event.preventDefault(); select.focus(); }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    // Put keyboard and screen-reader focus on the error summary after a refused form.
    var summary = document.querySelector("[data-focus]");
    if (summary) { summary.focus(); }

    // The registrant's time zone, so emails can show times in it as well.
    // Time-zone fields left empty start with the browser's own zone (the person's, as a default to change).
    document.querySelectorAll("[data-browser-timezone]").forEach(function (tz) {
      if (!tz.value && window.Intl && Intl.DateTimeFormat) {
        try { tz.value = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { /* keep empty */ }
      }
    });

    // The recurrence builder shows only the questions of the chosen kind of repetition.
    document.querySelectorAll("[data-repeat-builder]").forEach(function (builder) {
      function show() {
        var chosen = builder.querySelector("[data-repeat-choice]:checked");
        var kind = chosen ? chosen.value : "none";
        builder.querySelectorAll("[data-repeat-for]").forEach(function (part) {
          part.hidden = part.getAttribute("data-repeat-for").split(" ").indexOf(kind) < 0;
        });
      }
      builder.querySelectorAll("[data-repeat-choice]").forEach(function (r) { r.addEventListener("change", show); });
      show();
    });

    // Forms that deserve a second thought (cancel someone, send to everyone).
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
      });
    });

    agendaDragAndDrop();
    trackColours();
    organizationPickers();
  });
})();
