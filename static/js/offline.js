// Logging without a network. Every page works without this file; with it, msgut installs its
// service worker (/sw.js) and keeps what a patient logs while offline.
//
// Which forms: any POST form with a `data-offline` attribute, and on the day page the essential
// sections (fatigue, sleep, symptoms with digestion and the note, bowel movements, lifestyle, and a
// food added from the recent, favourite or already-shown search results). `data-offline="off"` opts
// a form out.
//
// When the browser says it is offline, or a request fails for want of a network, the submission is
// kept in IndexedDB (in order, with the form's one-time `token`, under an opaque key of the signed-in
// person) and listed on the page: "saved on this phone, will send when you're online". When the
// network is back, the entries are sent in order as ordinary form posts with a fresh CSRF token.
//
// Conflict rule: a replayed entry is an ordinary save made when it is sent. Each section of a day
// (fatigue, sleep, symptoms, lifestyle) keeps its last save, so an entry sent later replaces what was
// saved for that section elsewhere in between; foods and bowel movements are additions, and their
// token makes the server keep each one exactly once however many times it is sent.
//
// - A session that ended (the answer is the sign-in page, or 403): nothing is dropped, the entries
//   wait until the same person signs in again on this device, then go.
// - A refusal with form errors (4xx): the entry is shown with the server's words until the patient
//   removes it; never dropped silently.
// - Signing out: the page asks first when entries are not sent yet, then deletes every cache, the
//   queue and the worker (the server's Clear-Site-Data does the same).
(function () {
  "use strict";
  var DB_NAME = "msgut-offline";
  var DAY_WRITE = /^\/day\/(\d{4}-\d{2}-\d{2})\/(fatigue|sleep|symptoms|stool|lifestyle|meals\/[a-z_]+\/add)\/$/;
  var RETRY_MS = 20000;

  var root = document.querySelector("[data-offline-queue]");
  if (!root) { return; }
  var viewer = root.dataset.viewer || "";
  var VIEWER_KEY = "msgut-viewer";
  // The offline page is kept signed out: it lists the entries of whoever last used a signed-in page
  // here (only lists them: sending waits for a page the server answered for that person).
  var shownViewer = viewer;
  try {
    if (viewer) { window.localStorage.setItem(VIEWER_KEY, viewer); }
    else if (root.dataset.offlinePage) { shownViewer = window.localStorage.getItem(VIEWER_KEY) || ""; }
  } catch (error) { /* storage refused: the offline page shows no list */ }
  var statusLine = root.querySelector("[data-offline-status]");
  var refresh = root.querySelector("[data-offline-refresh]");
  var box = root.querySelector("[data-offline-box]");
  var list = root.querySelector("[data-offline-list]");
  var signout = root.querySelector("[data-offline-signout]");
  var signoutText = root.querySelector("[data-offline-signout-text]");
  var sending = null;
  var leaving = null;  // the sign-out form, while its question is open
  var lastForm = new WeakMap();
  var dbPromise = null;

  if (viewer && "serviceWorker" in navigator) {
    navigator.serviceWorker.register(root.dataset.worker, { scope: "/" }).catch(function () { /* pages still work */ });
  }
  if (!("indexedDB" in window)) { return; }

  function say(text) {
    statusLine.textContent = text || "";
    refresh.hidden = true;
  }

  function freshToken() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID().replace(/-/g, ""); }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  // ---------------------------------------------------------------- storage

  function open() {
    if (dbPromise) { return dbPromise; }
    dbPromise = new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () {
        request.result.createObjectStore("entries", { keyPath: "id", autoIncrement: true });
      };
      request.onsuccess = function () {
        var db = request.result;
        db.onversionchange = function () { db.close(); dbPromise = null; };
        resolve(db);
      };
      request.onerror = function () { reject(request.error); };
    });
    return dbPromise;
  }

  function run(mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction("entries", mode);
        var result = work(tx.objectStore("entries"));
        tx.oncomplete = function () { resolve(result && "result" in result ? result.result : undefined); };
        tx.onerror = function () { reject(tx.error); };
        tx.onabort = function () { reject(tx.error); };
      });
    });
  }

  function all() {
    return run("readonly", function (store) { return store.getAll(); }).then(function (entries) {
      return (entries || []).sort(function (a, b) { return a.id - b.id; });
    });
  }

  function mine(entries) {
    return entries.filter(function (entry) { return entry.viewer === shownViewer; });
  }

  function put(entry) { return run("readwrite", function (store) { return store.put(entry); }); }
  function remove(id) { return run("readwrite", function (store) { return store.delete(id); }); }

  // ---------------------------------------------------------------- which forms

  function offlineForm(form) {
    if (!viewer || !(form instanceof HTMLFormElement)) { return false; }
    if ((form.getAttribute("method") || "get").toLowerCase() !== "post") { return false; }
    if (form.dataset.offline === "off") { return false; }
    if (form.hasAttribute("data-offline")) { return true; }
    return DAY_WRITE.test(new URL(form.getAttribute("action") || "", window.location.href).pathname);
  }

  function text(node) { return node ? node.textContent.replace(/\s+/g, " ").trim() : ""; }

  function describe(form, submitter) {
    if (form.dataset.offlineLabel) { return form.dataset.offlineLabel; }
    var section = form.closest("section");
    var heading = section ? section.querySelector("h2") : null;
    var food = form.querySelector(".chip-name, .result-name");
    var detail = "";
    if (food) {
      detail = text(food.firstChild && food.firstChild.nodeType === 3 ? food.firstChild : food);
    } else if (submitter && submitter.name) {
      detail = text(submitter);
    }
    return [text(heading), detail].filter(Boolean).join(": ");
  }

  function dayOf(action) {
    var match = DAY_WRITE.exec(new URL(action, window.location.href).pathname);
    if (!match) { return ""; }
    var parts = match[1].split("-").map(Number);
    var day = new Date(parts[0], parts[1] - 1, parts[2]);
    // The page's language, in the browser's regional form of it when they agree (en-GB: "Wed 2 Dec").
    var lang = document.documentElement.lang || "";
    var locales = navigator.language && navigator.language.indexOf(lang) === 0 ? [navigator.language, lang] : [lang];
    return day.toLocaleDateString(locales.filter(Boolean), { weekday: "short", day: "numeric", month: "short" });
  }

  // ---------------------------------------------------------------- keeping an entry

  function keep(form, data, submitter) {
    var body = [];
    data.forEach(function (value, name) {
      if (name !== "csrfmiddlewaretoken" && typeof value === "string") { body.push([name, value]); }
    });
    var entry = {
      viewer: viewer,
      action: new URL(form.getAttribute("action"), window.location.href).pathname,
      body: body,
      label: describe(form, submitter),
      day: "",
      state: "queued",
      error: "",
      at: Date.now()
    };
    entry.day = dayOf(entry.action);
    // The next tap on the same form is a new entry, as it is online after the section comes back.
    var tokenInput = form.querySelector("input[name=token]");
    if (tokenInput) { tokenInput.value = freshToken(); }
    return put(entry).then(function () {
      say(root.dataset.msgSaved);
      return show();
    }, function () {
      // Storage full or refused: say so at once, never pretend it was kept.
      say(root.dataset.msgNotKept);
    });
  }

  // One-time tokens of a page are its own: a page the worker served from its copy carries the
  // tokens of the day it was kept, already used perhaps. New ones on every load keep each tap unique.
  document.querySelectorAll("form input[name=token]").forEach(function (input) {
    if (offlineForm(input.form)) { input.value = freshToken(); }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented) { return; }  // e.g. a question the patient answered "no" to
    if (form instanceof HTMLFormElement && form.hasAttribute("data-signout")) { return askBeforeSignOut(event, form); }
    if (!offlineForm(form)) { return; }
    var data = new FormData(form, event.submitter || null);
    lastForm.set(form, { data: data, submitter: event.submitter || null });
    if (navigator.onLine) { return; }  // sent as usual; a request that finds no network is kept below
    event.preventDefault();
    event.stopImmediatePropagation();
    keep(form, data, event.submitter || null);
  }, true);

  document.addEventListener("htmx:sendError", function (event) {
    var form = event.detail && event.detail.elt;
    form = form && form.closest ? form.closest("form") : null;
    var last = form && lastForm.get(form);
    if (!last || !offlineForm(form)) { return; }
    lastForm.delete(form);
    keep(form, last.data, last.submitter);
  });

  // A request that reached the server proves the network is back.
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail && event.detail.successful) { send(); }
  });

  // ---------------------------------------------------------------- the list on the page

  function show() {
    return all().then(function (entries) {
      var own = mine(entries);
      list.textContent = "";
      own.forEach(function (entry) {
        var item = document.createElement("li");
        item.className = "offline-entry" + (entry.state === "failed" ? " failed" : "");
        var what = document.createElement("span");
        what.className = "offline-what";
        what.textContent = [entry.day, entry.label].filter(Boolean).join(" · ");
        item.appendChild(what);
        var state = document.createElement("span");
        state.className = "offline-state";
        state.textContent = entry.state === "failed" ? root.dataset.msgRejected + " " + entry.error : root.dataset.msgQueued;
        item.appendChild(state);
        if (entry.state === "failed") {
          var drop = document.createElement("button");
          drop.type = "button";
          drop.className = "small";
          drop.textContent = root.dataset.msgRemove;
          drop.setAttribute("aria-label", root.dataset.msgRemove + ": " + what.textContent);
          drop.addEventListener("click", function () { remove(entry.id).then(show); });
          item.appendChild(drop);
        }
        list.appendChild(item);
      });
      box.hidden = own.length === 0;
      if (!shownViewer && entries.length) { say(root.dataset.msgWaiting); }
      return own;
    });
  }

  // ---------------------------------------------------------------- sending

  function cookie(name) {
    var found = document.cookie.split("; ").filter(function (part) { return part.indexOf(name + "=") === 0; })[0];
    return found ? decodeURIComponent(found.slice(name.length + 1)) : "";
  }

  function csrfToken() {
    var fromCookie = cookie(root.dataset.csrfCookie);
    if (fromCookie) { return fromCookie; }
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function errorsIn(html) {
    var page = new DOMParser().parseFromString(html, "text/html");
    var found = page.querySelectorAll(".errorlist li");
    if (!found.length) { found = page.querySelectorAll(".error-summary li, [role=alert]"); }
    var words = [];
    found.forEach(function (node) {
      var line = text(node);
      if (line && words.indexOf(line) === -1) { words.push(line); }
    });
    return words.join(" ");
  }

  function sendOne(entry) {
    var body = new URLSearchParams();
    entry.body.forEach(function (pair) { body.append(pair[0], pair[1]); });
    var token = csrfToken();
    body.append("csrfmiddlewaretoken", token);
    return fetch(entry.action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": token }
    }).then(function (response) {
      var landed = new URL(response.url || entry.action, window.location.href).pathname;
      if (landed === root.dataset.login || response.status === 403 || response.status === 401) { return "sign-in"; }
      if (response.ok) { return remove(entry.id).then(function () { return "sent"; }); }
      if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
        return response.text().then(function (html) {
          entry.state = "failed";
          entry.error = errorsIn(html);
          return put(entry).then(function () { return "failed"; });
        });
      }
      return "later";
    }, function () { return "later"; });
  }

  function send() {
    if (sending) { return sending; }
    if (!viewer || !navigator.onLine) { return Promise.resolve(false); }
    sending = all().then(function (entries) {
      var queue = mine(entries).filter(function (entry) { return entry.state === "queued"; });
      if (!queue.length) { return false; }
      say(root.dataset.msgSending);
      var sent = 0;
      var step = function (i) {
        if (i >= queue.length) { return Promise.resolve("done"); }
        return sendOne(queue[i]).then(function (outcome) {
          if (outcome === "sign-in" || outcome === "later") { return outcome; }
          if (outcome === "sent") { sent += 1; }
          return step(i + 1);
        });
      };
      return step(0).then(function (outcome) {
        if (outcome === "sign-in") { say(root.dataset.msgSignIn); }
        else if (outcome === "later") { say(root.dataset.msgRetry); }
        return show().then(function (left) {
          if (outcome === "done") {
            say(left.length ? root.dataset.msgPartly : root.dataset.msgSent);
            refresh.hidden = sent === 0;
          }
          // Asked to sign out and waiting for these: everything went, so carry on. (An entry the
          // server refused stays listed: the patient reads it, then removes it or signs out anyway.)
          if (!left.length && leaving) { signOut(leaving); }
          return !left.length;
        });
      });
    }).catch(function () { return false; }).finally(function () { sending = null; });
    return sending;
  }

  refresh.addEventListener("click", function () { window.location.reload(); });

  // ---------------------------------------------------------------- signing out

  function forgetEverything() {
    var work = [];
    try { window.localStorage.removeItem(VIEWER_KEY); } catch (error) { /* nothing kept */ }
    if (window.caches) {
      work.push(caches.keys().then(function (names) {
        return Promise.all(names.map(function (name) { return caches.delete(name); }));
      }));
    }
    work.push((dbPromise || Promise.resolve(null)).then(function (db) {
      if (db) { db.close(); }
      dbPromise = null;
      return new Promise(function (resolve) {
        var request = indexedDB.deleteDatabase(DB_NAME);
        request.onsuccess = request.onerror = request.onblocked = function () { resolve(); };
      });
    }));
    if ("serviceWorker" in navigator) {
      work.push(navigator.serviceWorker.getRegistrations().then(function (registrations) {
        return Promise.all(registrations.map(function (registration) { return registration.unregister(); }));
      }));
    }
    return Promise.all(work).catch(function () { return null; });
  }

  function signOut(form) {
    if (form.dataset.confirmed) { return; }
    form.dataset.confirmed = "1";
    forgetEverything().then(function () { form.submit(); });
  }

  function askBeforeSignOut(event, form) {
    if (form.dataset.confirmed) { return; }
    event.preventDefault();
    event.stopImmediatePropagation();
    all().then(function (entries) {
      var own = mine(entries);
      if (!own.length) { return signOut(form); }
      var many = own.length === 1 ? root.dataset.msgUnsentOne : root.dataset.msgUnsentMany.replace("{n}", own.length);
      signoutText.textContent = many;
      signout.hidden = false;
      box.hidden = false;
      signout.focus();
      leaving = form;
      signout.querySelector("[data-offline-send]").onclick = function () {
        if (!navigator.onLine) { say(root.dataset.msgOffline); return; }
        send();
      };
      signout.querySelector("[data-offline-signout-anyway]").onclick = function () { signOut(form); };
    }, function () { signOut(form); });
  }

  // ---------------------------------------------------------------- when

  window.addEventListener("online", function () { send(); });
  window.addEventListener("offline", function () { say(root.dataset.msgOffline); });
  window.setInterval(function () { send(); }, RETRY_MS);
  // Today's page opened from the worker's copy on a later day: its forms still log the day it was
  // kept (the server decides what "today" is, and cannot be asked). Say so rather than surprise.
  function oldCopy() {
    if (window.location.pathname !== "/day/") { return ""; }
    var path = "";
    Array.prototype.some.call(document.forms, function (f) {
      path = new URL(f.getAttribute("action") || "", window.location.href).pathname;
      return DAY_WRITE.test(path);
    });
    var match = DAY_WRITE.exec(path);
    if (!match) { return ""; }
    var kept = match[1];
    var now = new Date();
    var local = [now.getFullYear(), ("0" + (now.getMonth() + 1)).slice(-2), ("0" + now.getDate()).slice(-2)].join("-");
    return kept < local ? root.dataset.msgOldCopy.split("{day}").join(dayOf(path)) : "";
  }

  if (viewer) {
    show().then(function () {
      if (!navigator.onLine) { say([root.dataset.msgOffline, oldCopy()].filter(Boolean).join(" ")); }
      send();
    });
  } else if (shownViewer) {
    show();
  } else if (indexedDB.databases) {
    // Signed out: only say that entries wait, and never create the database just to look.
    indexedDB.databases().then(function (found) {
      if (found.some(function (db) { return db.name === DB_NAME; })) { show(); }
    });
  }
})();
