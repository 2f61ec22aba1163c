/* The check-in desk. It keeps working offline: the event's check-in list (SHA-256 of each code, name,
   organization, state) is kept in localStorage, every scan is answered from it at once and queued, and the queue
   is sent to the server whenever the network is there (a replayed batch changes nothing twice). The server's
   answer replaces the local one when it differs (another desk may have checked the person in first).
   Camera: the browser's BarcodeDetector where present, otherwise jsQR (vendored, pinned).
   Place: the event's door, or a session room picked in the list; each place has its own check-in list (for a
   session that needs booking it says who booked or waits, and how many places remain: a walk-in takes one). */
(function () {
  "use strict";
  var root = document.getElementById("checkin-desk");
  if (!root) return;
  var base = root.dataset.base;
  var eventId = root.dataset.event;
  var device = root.dataset.desk || "desk";
  var csrf = root.dataset.csrf;
  var labels = JSON.parse(document.getElementById("checkin-labels").textContent);
  var placeKey = "checkin-place-" + eventId;
  var queueKey = "checkin-queue-" + eventId;
  var picker = document.getElementById("checkin-place");
  var place = Number(load(placeKey, 0)) || 0;
  if (picker) {
    if (!picker.querySelector('option[value="' + place + '"]')) place = 0;
    picker.value = String(place);
  } else {
    place = 0;
  }
  var session = { requires_booking: false, places: null, taken: 0 };
  function listKey() { return "checkin-list-" + eventId + "-" + place; }
  var people = {};     // code_hash -> person
  var byId = {};       // registration_id -> person
  var queue = load(queueKey, []);
  var syncing = false;

  function load(key, fallback) {
    try { return JSON.parse(localStorage.getItem(key)) || fallback; } catch (e) { return fallback; }
  }
  function save(key, value) {
    try { localStorage.setItem(key, JSON.stringify(value)); } catch (e) { /* full: the queue stays in memory */ }
  }
  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (_, k) { return values[k] === undefined ? "" : values[k]; });
  }
  function timeText(iso) {
    if (!iso) return "";
    var d = new Date(iso);
    return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }
  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var a = new Uint8Array(16);
    crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function sha256(text) {
    return crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)).then(function (buf) {
      return Array.prototype.map.call(new Uint8Array(buf), function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
    });
  }

  function index(list) {
    people = {};
    byId = {};
    session = { requires_booking: !!list.requires_booking, places: list.places, taken: list.taken || 0 };
    list.people.forEach(function (p) {
      if (p.code_hash) people[p.code_hash] = p;
      if (!byId[p.registration_id] || p.state === "confirmed") byId[p.registration_id] = p;
    });
    counts();
  }
  function counts() {
    var registered = 0, inside = 0, seen = {};
    Object.keys(byId).forEach(function (id) {
      var p = byId[id];
      if (seen[id] || p.state !== "confirmed") return;
      seen[id] = true;
      registered += 1;
      if (p.checked_in_at) inside += 1;
    });
    document.getElementById("checkin-counts").textContent = inside + " / " + registered;
    var left = document.getElementById("checkin-place-places");
    if (left) {
      left.textContent = session.requires_booking && session.places !== null && session.places !== undefined
        ? session.taken + " / " + session.places : "";
    }
  }
  function network() {
    var el = document.getElementById("checkin-network");
    if (!queue.length) el.textContent = labels.synced;
    else if (!navigator.onLine) el.textContent = fill(labels.offline, { count: queue.length });
    else el.textContent = fill(labels.queued, { count: queue.length });
    el.dataset.queued = String(queue.length);
  }

  function show(outcome, reason, person, first) {
    var box = document.getElementById("verdict");
    box.className = "verdict verdict-" + outcome;
    box.dataset.outcome = outcome;
    box.dataset.reason = reason || "";
    document.getElementById("verdict-title").textContent = labels[outcome] || outcome;
    document.getElementById("verdict-person").textContent = person && person.name
      ? person.name + (person.organization ? " · " + person.organization : "") + (person.category ? " · " + person.category : "")
      : "";
    var detail = "";
    if (reason === "already" && first) detail = fill(labels.already, { time: timeText(first.at), desk: first.device });
    else if (reason) detail = labels[reason] || reason;
    document.getElementById("verdict-detail").textContent = detail;
  }

  /* The answer from the local list, at once (the server's comes after the sync). */
  function localVerdict(person) {
    if (!person) return { outcome: "refused", reason: "unknown" };
    if (person.state === "replaced") return { outcome: "refused", reason: "replaced" };
    if (person.state === "cancelled") return { outcome: "refused", reason: "cancelled" };
    if (person.state !== "confirmed") return { outcome: "refused", reason: "not_confirmed" };
    if (person.checked_in_at) return { outcome: "duplicate", reason: "already", first: { at: person.checked_in_at, device: person.device } };
    if (place && session.requires_booking && person.booking !== "booked" && person.booking !== "waitlisted") {
      if (session.places !== null && session.places !== undefined && session.taken >= session.places) {
        return { outcome: "refused", reason: "not_booked" };
      }
      return { outcome: "admitted", reason: "", walkIn: true };
    }
    return { outcome: "admitted", reason: "", waiting: place && person.booking === "waitlisted" };
  }

  function record(scan, person) {
    var v = localVerdict(person);
    show(v.outcome, v.reason, person, v.first);
    if (v.walkIn || v.waiting) document.getElementById("verdict-detail").textContent = v.walkIn ? labels.walk_in : labels.waitlisted;
    if (v.walkIn && person) {
      session.taken += 1;
      person.booking = "booked";
      if (byId[person.registration_id]) byId[person.registration_id].booking = "booked";
    }
    if (v.outcome === "admitted" && person) {
      person.checked_in_at = scan.scanned_at;
      person.device = device;
      if (byId[person.registration_id]) { byId[person.registration_id].checked_in_at = scan.scanned_at; byId[person.registration_id].device = device; }
      counts();
    }
    queue.push(scan);
    save(queueKey, queue);
    network();
    sync();
  }

  function scanCode(code) {
    code = (code || "").trim();
    if (!code) return;
    var scan = { scan_id: newId(), code: code, device: device, scanned_at: new Date().toISOString() };
    if (place) scan.session_id = place;
    sha256(code).then(function (hash) { record(scan, people[hash]); });
  }
  function checkInById(id) {
    var scan = { scan_id: newId(), registration_id: Number(id), device: device, scanned_at: new Date().toISOString() };
    if (place) scan.session_id = place;
    record(scan, byId[id]);
  }

  function sync() {
    if (syncing || !queue.length) return;
    syncing = true;
    var batch = queue.slice(0, 200);
    fetch(base + "/sync.json", {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/json", "x-csrftoken": csrf },
      body: JSON.stringify({ scans: batch }),
    }).then(function (r) {
      if (r.status === 422) return { results: [] };  // a scan the server cannot read is dropped, not retried forever
      if (!r.ok) throw new Error(String(r.status));
      return r.json();
    }).then(function (answer) {
      var sent = {};
      batch.forEach(function (s) { sent[s.scan_id] = true; });
      queue = load(queueKey, queue).filter(function (s) { return !sent[s.scan_id]; });
      save(queueKey, queue);
      var last = answer.results && answer.results[answer.results.length - 1];
      if (last && batch.length === 1 && (last.session_id || 0) === place) {
        show(last.outcome, last.reason, last.person, { at: last.first_checked_in_at, device: last.first_device });
      }
      syncing = false;
      network();
      if (queue.length) sync();
    }).catch(function () {
      syncing = false;
      network();
    });
  }

  function refreshList() {
    var asked = place;
    return fetch(base + "/list.json?session_id=" + asked, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) throw new Error(String(r.status));
      return r.json();
    }).then(function (list) {
      if (asked !== place) return;  // another place was picked meanwhile
      save(listKey(), list);
      index(list);
    }).catch(function () { /* offline: the stored list serves */ });
  }

  // ---------------------------------------------------------------------------------------------- camera
  var stream = null, detector = null, lastCode = "", lastAt = 0, timer = null;
  var video = document.getElementById("camera");
  var canvas = document.getElementById("camera-frame");

  function seen(code) {
    var now = Date.now();
    if (code === lastCode && now - lastAt < 3000) return;  // the same badge held in front of the camera
    lastCode = code;
    lastAt = now;
    scanCode(code);
  }
  function tick() {
    if (!stream || video.readyState < 2) return;
    if (detector) {
      detector.detect(video).then(function (codes) { if (codes.length) seen(codes[0].rawValue); }).catch(function () {});
      return;
    }
    if (!window.jsQR) return;
    var w = video.videoWidth, h = video.videoHeight;
    if (!w || !h) return;
    canvas.width = w;
    canvas.height = h;
    var ctx = canvas.getContext("2d", { willReadFrequently: true });
    ctx.drawImage(video, 0, 0, w, h);
    var found = window.jsQR(ctx.getImageData(0, 0, w, h).data, w, h, { inversionAttempts: "dontInvert" });
    if (found && found.data) seen(found.data);
  }
  function startCamera() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { show("idle", "camera_off"); return; }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false }).then(function (s) {
      stream = s;
      video.srcObject = s;
      video.hidden = false;
      video.play();
      document.getElementById("camera-start").hidden = true;
      document.getElementById("camera-stop").hidden = false;
      var ready = Promise.resolve(null);
      if ("BarcodeDetector" in window) {
        ready = window.BarcodeDetector.getSupportedFormats().then(function (formats) {
          return formats.indexOf("qr_code") >= 0 ? new window.BarcodeDetector({ formats: ["qr_code"] }) : null;
        }).catch(function () { return null; });
      }
      ready.then(function (d) {
        detector = d;
        root.dataset.decoder = d ? "BarcodeDetector" : "jsQR";
        timer = setInterval(tick, 200);
      });
    }).catch(function () { show("idle", "camera_off"); });
  }
  function stopCamera() {
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    stream = null;
    clearInterval(timer);
    video.hidden = true;
    document.getElementById("camera-start").hidden = false;
    document.getElementById("camera-stop").hidden = true;
  }

  // ---------------------------------------------------------------------------------------------- search
  function results(list) {
    var ul = document.getElementById("search-results");
    ul.textContent = "";
    if (!list.length) { var li0 = document.createElement("li"); li0.textContent = labels.no_match; ul.appendChild(li0); return; }
    list.forEach(function (p) {
      var li = document.createElement("li");
      li.textContent = p.name + (p.organization ? " · " + p.organization : "") + " · " + p.category + " · " + p.state
        + (p.checked_in_at ? " · " + timeText(p.checked_in_at) + " " + (p.device || "") : "");
      if (p.state === "confirmed") {
        var b = document.createElement("button");
        b.type = "button";
        b.className = "secondary";
        b.textContent = labels.checkin;
        b.addEventListener("click", function () { checkInById(p.registration_id); });
        li.appendChild(b);
      }
      ul.appendChild(li);
    });
  }
  function localSearch(q) {
    q = q.toLocaleLowerCase();
    var out = [];
    Object.keys(byId).forEach(function (id) {
      var p = byId[id];
      if ((p.name || "").toLocaleLowerCase().indexOf(q) >= 0 || (p.organization || "").toLocaleLowerCase().indexOf(q) >= 0) out.push(p);
    });
    return out.slice(0, 25);
  }

  document.getElementById("code-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var input = document.getElementById("code-input");
    scanCode(input.value);
    input.value = "";
    input.focus();
  });
  document.getElementById("search-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var q = document.getElementById("search-input").value.trim();
    if (q.length < 2) return;
    if (!navigator.onLine) { results(localSearch(q)); return; }
    fetch(base + "/search.json?q=" + encodeURIComponent(q) + "&session_id=" + place, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
      .then(results)
      .catch(function () { results(localSearch(q)); });
  });
  document.getElementById("camera-start").addEventListener("click", startCamera);
  document.getElementById("camera-stop").addEventListener("click", stopCamera);
  window.addEventListener("online", function () { network(); sync(); refreshList(); });
  window.addEventListener("offline", network);
  setInterval(function () { sync(); }, 10000);

  if (picker) {
    picker.addEventListener("change", function () {
      place = Number(picker.value) || 0;
      save(placeKey, place);
      var kept = load(listKey(), null);
      if (kept) index(kept); else index({ people: [] });
      document.getElementById("search-results").textContent = "";
      refreshList();
    });
  }
  var stored = load(listKey(), null);
  if (stored) index(stored);
  network();
  refreshList().then(function () { root.dataset.ready = "true"; sync(); });
})();
