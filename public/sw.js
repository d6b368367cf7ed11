// PetPixel's service worker: shows "your game is ready" when a Web Push arrives, and opens the
// game when the notification is tapped. The server encrypts each push to this browser's
// subscription (RFC 8291); the browser decrypts it before this worker sees `event.data`.
//
// It has no fetch handler: pages and games load from the network as usual.

'use strict';

/** What the server sends (server/src/push.rs, `PushMessage`); anything unreadable is ignored. */
function readMessage(data) {
  if (!data) return null;
  try {
    const message = data.json();
    if (typeof message.title !== 'string' || typeof message.url !== 'string') return null;
    return message;
  } catch (_) {
    return null;
  }
}

/** Only links back into this site are opened. */
function sameOrigin(url) {
  try {
    return new URL(url, self.location.origin).origin === self.location.origin;
  } catch (_) {
    return false;
  }
}

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('push', (event) => {
  const message = readMessage(event.data);
  if (!message) return;
  event.waitUntil(
    self.registration.showNotification(message.title, {
      body: message.body || '',
      icon: message.icon || '/favicon.svg',
      tag: message.tag || undefined,
      data: { url: sameOrigin(message.url) ? message.url : '/' },
    }),
  );
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const url = (event.notification.data && event.notification.data.url) || '/';
  event.waitUntil(
    self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then((windows) => {
      const open = windows.find((w) => w.url === new URL(url, self.location.origin).href);
      return open ? open.focus() : self.clients.openWindow(url);
    }),
  );
});
