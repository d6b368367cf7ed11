// "Notify me on this device when it's ready": while a game is made, the game page offers a
// notification. A click asks the browser's permission, subscribes it to Web Push through the
// service worker, and when the game is ready the server sends an encrypted, signed push.
//
// Chromium here cannot reach a real push service (no internet, and headless Chromium has no
// connection to one), so the test stands in for it: `PushManager.subscribe` answers with an
// endpoint on a local HTTP server and keys the test holds. The test decrypts what the server
// sends there with Node's own crypto (RFC 8291/8188), apart from the server's code, checks
// the VAPID signature (RFC 8292), and hands the message to the service worker as a real push
// event (DevTools' `ServiceWorker.deliverPushMessage`) to see the notification it shows.
import { expect, Page, test } from '@playwright/test';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import { CHELSEA, waitForHydration } from './helpers';

type Delivery = { path: string; headers: http.IncomingHttpHeaders; body: Buffer };

/** The stand-in push service: answers 201 and keeps what it is sent. */
async function pushService(): Promise<{ base: string; deliveries: Delivery[]; close: () => void }> {
  const deliveries: Delivery[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      deliveries.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(201).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { base: `http://127.0.0.1:${port}`, deliveries, close: () => server.close() };
}

/** The browser's half of a subscription. */
function deviceKeys() {
  const ecdh = crypto.createECDH('prime256v1');
  ecdh.generateKeys();
  return { ecdh, p256dh: ecdh.getPublicKey().toString('base64url'), auth: crypto.randomBytes(16) };
}

function hkdf(ikm: Buffer, salt: Buffer, info: Buffer, length: number): Buffer {
  return Buffer.from(crypto.hkdfSync('sha256', ikm, salt, info, length));
}

/** RFC 8291 decryption of an `aes128gcm` push body with the device's keys. */
function decrypt(body: Buffer, device: ReturnType<typeof deviceKeys>): string {
  const salt = body.subarray(0, 16);
  const idlen = body[20];
  const serverPublic = body.subarray(21, 21 + idlen);
  const record = body.subarray(21 + idlen);
  const shared = device.ecdh.computeSecret(serverPublic);
  const info = Buffer.concat([Buffer.from('WebPush: info\0'), device.ecdh.getPublicKey(), serverPublic]);
  const ikm = hkdf(shared, device.auth, info, 32);
  const key = hkdf(ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16);
  const nonce = hkdf(ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12);
  const decipher = crypto.createDecipheriv('aes-128-gcm', key, nonce);
  decipher.setAuthTag(record.subarray(record.length - 16));
  const padded = Buffer.concat([decipher.update(record.subarray(0, record.length - 16)), decipher.final()]);
  // The content ends at the last record's delimiter (2), before any zero padding.
  let end = padded.length - 1;
  while (end > 0 && padded[end] === 0) end--;
  expect(padded[end]).toBe(2);
  return padded.subarray(0, end).toString('utf8');
}

/** Checks `Authorization: vapid t=<ES256 JWT>, k=<key>` against the site's published key. */
function verifyVapid(header: string, publicKey: string, audience: string) {
  const match = /^vapid t=([^,]+), k=(.+)$/.exec(header);
  expect(match).not.toBeNull();
  const [, token, k] = match!;
  expect(k).toBe(publicKey);
  const [head, claims, signature] = token.split('.');
  const point = Buffer.from(publicKey, 'base64url');
  const key = crypto.createPublicKey({
    key: { kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33).toString('base64url') },
    format: 'jwk',
  });
  const valid = crypto.verify('sha256', Buffer.from(`${head}.${claims}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url'));
  expect(valid).toBe(true);
  const body = JSON.parse(Buffer.from(claims, 'base64url').toString());
  expect(body.aud).toBe(audience);
  expect(body.sub).toMatch(/^mailto:/);
}

/** Games started before the one under test: about 4 s of work for this 2-core machine's
 * worker, so the page is used while the game is still being made. */
const GAMES_AHEAD = 6;

/** Starts `count` games of the shipped photo; the last one waits behind the others, so it stays
 * in the making while the page is used. Resolves to the last game's id. */
async function queueGames(page: Page, count: number): Promise<string> {
  await page.goto('/');
  const photo = { name: 'chelsea.png', mimeType: 'image/png', buffer: fs.readFileSync(CHELSEA) };
  let id = '';
  for (let i = 0; i < count; i++) {
    const image = await (await page.request.post('/api/v1/images/upload', { multipart: { image: photo } })).json();
    const created = await page.request.post('/api/v1/games', {
      data: { image_id: image.id, pet_name: 'Chelsea', theme: 'park', difficulty: 'easy', level_count: 3 },
    });
    expect(created.status()).toBe(202);
    id = (await created.json()).id;
  }
  return id;
}

test('the game page offers a notification, and the push that comes is encrypted, signed and shown', async ({ page, context, baseURL }) => {
  const service = await pushService();
  const device = deviceKeys();
  const endpoint = `${service.base}/push/chromium`;
  await context.grantPermissions(['notifications'], { origin: baseURL });
  // Stand in for the browser's push service (see the top of the file); everything else —
  // permission, service worker registration, the page's code — is Chromium's own.
  await page.addInitScript(({ endpoint, p256dh, auth }) => {
    PushManager.prototype.subscribe = async function (options?: PushSubscriptionOptionsInit) {
      (window as any).__subscribedWith = { userVisibleOnly: options?.userVisibleOnly, key: options?.applicationServerKey };
      const json = { endpoint, expirationTime: null, keys: { p256dh, auth } };
      return { endpoint, expirationTime: null, toJSON: () => json } as unknown as PushSubscription;
    };
  }, { endpoint, p256dh: device.p256dh, auth: device.auth.toString('base64url') });

  const id = await queueGames(page, GAMES_AHEAD);

  await page.goto(`/games/${id}`);
  await waitForHydration(page);
  await expect(page.locator('p.status')).toHaveAttribute('data-status', 'generating');
  const offer = page.getByRole('button', { name: "Notify me on this device when it's ready" });
  await offer.click();
  await expect(page.getByRole('status')).toHaveText("We'll send a notification to this device when the game is ready.");
  const publicKey = (await (await page.request.get('/api/v1/push/key')).json()).public_key;
  expect(await page.evaluate(() => (window as any).__subscribedWith)).toEqual({ userVisibleOnly: true, key: publicKey });

  // The page turns to the game when it is ready; the push arrives once.
  await expect(page.locator('p.status')).toHaveAttribute('data-status', 'ready', { timeout: 90_000 });
  await expect.poll(() => service.deliveries.length, { timeout: 30_000 }).toBe(1);
  const delivery = service.deliveries[0];
  expect(delivery.path).toBe('/push/chromium');
  expect(delivery.headers['content-encoding']).toBe('aes128gcm');
  verifyVapid(delivery.headers['authorization']!, publicKey, service.base);
  const message = JSON.parse(decrypt(delivery.body, device));
  const game = await (await page.request.get(`/api/v1/games/${id}`)).json();
  expect(message.title).toBe("Chelsea's game is ready");
  expect(message.url).toBe(`${baseURL}/g/${game.short_code}`);

  // The service worker shows it, as it would when the browser delivers the push.
  const cdp = await context.newCDPSession(page);
  const registration = new Promise<string>((resolve) => {
    cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations }) => {
      const ours = registrations.find((r: any) => r.scopeURL === `${baseURL}/` && !r.isDeleted);
      if (ours) resolve(ours.registrationId);
    });
  });
  await cdp.send('ServiceWorker.enable');
  const registrationId = await registration;
  // Delivered again until shown, as a push service redelivers: a push that reaches a worker
  // still starting up can be dropped. The per-game tag keeps it one notification.
  await expect
    .poll(async () => {
      await cdp.send('ServiceWorker.deliverPushMessage', { origin: baseURL!, registrationId, data: JSON.stringify(message) });
      return page.evaluate(async () => {
        const reg = await navigator.serviceWorker.ready;
        return (await reg.getNotifications()).map((n) => ({ title: n.title, tag: n.tag, url: n.data?.url }));
      });
    }, { timeout: 30_000, intervals: [500, 1_000, 2_000] })
    .toEqual([{ title: "Chelsea's game is ready", tag: `game-${game.short_code}`, url: message.url }]);
  service.close();
});

test('where notifications are turned off for the site, the page says so instead of asking', async ({ page }) => {
  // As if the person had blocked notifications for the site earlier.
  await page.addInitScript(() => Object.defineProperty(Notification, 'permission', { get: () => 'denied' }));
  const id = await queueGames(page, GAMES_AHEAD);
  await page.goto(`/games/${id}`);
  await waitForHydration(page);
  await expect(page.locator('p.status')).toHaveAttribute('data-status', 'generating');
  await expect(page.locator('.notify')).toHaveAttribute('data-push', 'blocked');
  await expect(page.locator('.notify')).toHaveText('Notifications are turned off for this site in your browser.');
  await expect(page.getByRole('button', { name: /Notify me/ })).toHaveCount(0);
});
