// Shows msgut's reminder notifications. Imported by the site's service worker (static/js/sw.js,
// served at /sw.js); this part needs no page to be open and caches nothing.
// The payload is the server's, encrypted for this browser: a neutral line, where to go, how to stop.
(function () {
  "use strict";
  function samePath(url) {
    // Only paths on our own site: a notification never opens or posts anywhere else.
    var parsed = new URL(url || "/", self.location.origin);
    return parsed.pathname + parsed.search;
  }

  self.addEventListener("push", function (event) {
    var data = {};
    try { data = event.data ? event.data.json() : {}; } catch (error) { data = {}; }
    var options = {
      body: data.body || "",
      tag: data.tag || "msgut",
      data: { url: samePath(data.url), unsubscribe: data.unsubscribe ? samePath(data.unsubscribe) : "" }
    };
    if (data.unsubscribe && data.stop_label) {
      options.actions = [{ action: "stop", title: data.stop_label }];
    }
    event.waitUntil(self.registration.showNotification(data.title || "msgut", options));
  });

  self.addEventListener("notificationclick", function (event) {
    var data = event.notification.data || {};
    event.notification.close();
    if (event.action === "stop" && data.unsubscribe) {
      // The signed link's one-click form (RFC 8058): no cookie or sign-in needed.
      event.waitUntil(fetch(data.unsubscribe, {
        method: "POST",
        credentials: "omit",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: "List-Unsubscribe=One-Click"
      }));
      return;
    }
    var target = new URL(data.url || "/", self.location.origin).href;
    event.waitUntil(self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (windows) {
      for (var i = 0; i < windows.length; i += 1) {
        if (windows[i].url === target && "focus" in windows[i]) { return windows[i].focus(); }
      }
      return self.clients.openWindow(target);
    }));
  });
})();
