// Reminders page: "Allow notifications on this device". Without JavaScript (or without Web Push
// in the browser) the button stays hidden and the page says so; email reminders need none of it.
(function () {
  "use strict";

  function keyBytes(base64url) {
    var base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
    base64 += "=".repeat((4 - (base64.length % 4)) % 4);
    var raw = window.atob(base64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i += 1) { bytes[i] = raw.charCodeAt(i); }
    return bytes;
  }

  function sameKey(subscription, expected) {
    var current = subscription.options && subscription.options.applicationServerKey;
    if (!current) { return true; }
    var a = new Uint8Array(current);
    if (a.length !== expected.length) { return false; }
    for (var i = 0; i < a.length; i += 1) { if (a[i] !== expected[i]) { return false; } }
    return true;
  }

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function whenActive(registration) {
    if (registration.active) { return Promise.resolve(registration); }
    var worker = registration.installing || registration.waiting;
    return new Promise(function (resolve, reject) {
      worker.addEventListener("statechange", function () {
        if (worker.state === "activated") { resolve(registration); }
        if (worker.state === "redundant") { reject(new Error("worker not installed")); }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.querySelector("[data-push]");
    if (!box || !("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
      return;
    }
    var button = box.querySelector("[data-push-allow]");
    var status = box.querySelector("[data-push-status]");
    var key = keyBytes(box.dataset.vapidKey);
    box.hidden = false;
    document.querySelectorAll("[data-push-needs-js]").forEach(function (note) { note.hidden = true; });

    function say(name) { status.textContent = box.dataset[name] || ""; }

    function registration() {
      return navigator.serviceWorker.register(box.dataset.worker, { scope: "/" }).then(whenActive);
    }

    function save(subscription) {
      return fetch(box.dataset.subscribeUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify(subscription.toJSON())
      }).then(function (response) {
        if (!response.ok) { throw new Error("not saved: " + response.status); }
      });
    }

    function subscribe(reg) {
      return reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
    }

    function markThisDevice(endpoint) {
      document.querySelectorAll(".device-list li").forEach(function (item) {
        var mark = item.querySelector(".this-device");
        if (mark) { mark.hidden = item.dataset.endpoint !== endpoint; }
      });
    }

    // A browser already allowed: mark it, and renew it if the server's keys changed since.
    if (Notification.permission === "granted") {
      registration().then(function (reg) {
        return reg.pushManager.getSubscription().then(function (subscription) {
          if (subscription && sameKey(subscription, key)) {
            markThisDevice(subscription.endpoint);
            return null;
          }
          var renew = subscription ? subscription.unsubscribe() : Promise.resolve(true);
          return renew.then(function () { return subscribe(reg); }).then(function (fresh) {
            return save(fresh).then(function () { markThisDevice(fresh.endpoint); });
          });
        });
      }).catch(function () { /* the button still offers to try */ });
    }

    button.addEventListener("click", function () {
      button.disabled = true;
      say("msgWorking");
      // The permission prompt must come from this tap.
      Notification.requestPermission().then(function (permission) {
        if (permission !== "granted") { say("msgDenied"); return null; }
        return registration().then(function (reg) {
          return reg.pushManager.getSubscription().then(function (existing) {
            if (existing && sameKey(existing, key)) { return existing; }
            var old = existing ? existing.unsubscribe() : Promise.resolve(true);
            return old.then(function () { return subscribe(reg); });
          });
        }).then(save).then(function () {
          say("msgSaved");
          window.location.reload();
        });
      }).catch(function () {
        say("msgFailed");
      }).finally(function () {
        button.disabled = false;
      });
    });
  });
})();
