// msgut's service worker, served at /sw.js for the whole site. The server puts `self.MSGUT` in front
// of this file: the app shell's version (a hash of every shell file), its URLs, the offline page,
// the push handler to import and the header naming the signed-in person.
//
// - The app shell (CSS, JS, icons, the offline page) is precached under a name carrying its version:
//   a deploy makes a new worker with a new cache, and activating it deletes every older one, so old
//   and new files are never mixed.
// - Pages: network first, always. Only the day pages are kept, so the day opens without a network,
//   and only the signed-in person's: a page answered for someone else drops the others' copies.
//   Nothing else signed in is stored. Signing out deletes every cache (the page asks first when
//   entries logged offline are not sent yet; the server's Clear-Site-Data does the same).
// - Writes (POST) never pass through here: the page keeps what it could not send (static/js/offline.js).
/* global MSGUT */
(function () {
  "use strict";
  var config = self.MSGUT;
  var SHELL = "msgut-shell-" + config.version;
  var PAGES = "msgut-day-";
  var DAY_PAGE = /^\/day\/(\d{4}-\d{2}-\d{2}\/)?$/;

  importScripts(config.push);

  self.addEventListener("install", function (event) {
    event.waitUntil(caches.open(SHELL).then(function (cache) {
      var requests = config.shell.map(function (url) { return new Request(url, { cache: "reload" }); });
      // The offline page without cookies: it names nobody.
      requests.push(new Request(config.offline, { credentials: "omit", cache: "reload" }));
      return cache.addAll(requests);
    }).then(function () { return self.skipWaiting(); }));
  });

  self.addEventListener("activate", function (event) {
    event.waitUntil(caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf("msgut-shell-") === 0 && name !== SHELL;
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); }));
  });

  function keepOnly(viewer) {
    return caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf(PAGES) === 0 && name !== PAGES + viewer;
      }).map(function (name) { return caches.delete(name); }));
    });
  }

  function pageKey(url) { return url.origin + url.pathname; }

  function fromNetwork(request, url) {
    return fetch(request).then(function (response) {
      var viewer = response.headers.get(config.viewerHeader);
      if (viewer) {
        var work = keepOnly(viewer);
        if (response.ok && !response.redirected && response.status === 200 && DAY_PAGE.test(url.pathname) && !url.search) {
          var copy = response.clone();
          work = work.then(function () {
            return caches.open(PAGES + viewer).then(function (cache) { return cache.put(pageKey(url), copy); });
          });
        }
        return work.then(function () { return response; }, function () { return response; });
      }
      return response;
    });
  }

  function kept(url) {
    return caches.keys().then(function (names) {
      var pages = names.filter(function (name) { return name.indexOf(PAGES) === 0; });
      if (!pages.length || !DAY_PAGE.test(url.pathname)) { return undefined; }
      return caches.open(pages[0]).then(function (cache) { return cache.match(pageKey(url)); });
    }).then(function (page) {
      return page || caches.match(config.offline, { cacheName: SHELL });
    });
  }

  self.addEventListener("fetch", function (event) {
    var request = event.request;
    if (request.method !== "GET") { return; }
    var url = new URL(request.url);
    if (url.origin !== self.location.origin) { return; }
    if (request.mode === "navigate") {
      event.respondWith(fromNetwork(request, url).catch(function () {
        return kept(url).then(function (page) { return page || Response.error(); });
      }));
      return;
    }
    if (config.shell.indexOf(url.pathname) !== -1) {
      event.respondWith(caches.match(url.pathname, { cacheName: SHELL }).then(function (hit) {
        return hit || fetch(request);
      }));
    }
  });
})();
