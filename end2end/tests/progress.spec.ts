// Making a game is a run of named stages: the game page shows them with a progress bar, the
// pictures as they appear, and, when a stage fails, a plain reason and a way to try again.
import { expect, test } from '@playwright/test';
import * as fs from 'fs';
import { CHELSEA, emailedLink, mailsTo, makeGame, waitForHydration } from './helpers';

test('the game page follows the stages live, with a progress bar and each picture as it comes', async ({ page }) => {
  await page.goto('/');
  const upload = await page.request.post('/api/v1/images/upload', {
    multipart: { image: { name: 'chelsea.png', mimeType: 'image/png', buffer: fs.readFileSync(CHELSEA) } },
  });
  expect(upload.status()).toBe(201);
  const image = await upload.json();
  const created = await page.request.post('/api/v1/games', {
    data: { image_id: image.id, pet_name: 'Chelsea', theme: 'space', difficulty: 'easy', level_count: 2 },
  });
  const game = await created.json();

  // Straight away the server-rendered page shows the named stages and the bar at the start
  // (cutting the pet out takes a second or more here).
  const html = await (await page.request.get(`/games/${game.id}`)).text();
  expect(html).toContain('role="progressbar"');
  expect(html).toMatch(/<li (class="current" data-stage="remove_background"|data-stage="remove_background" class="current")>/);
  expect(html).toContain('Cutting your pet out');

  // Record what the page's event stream delivers, beside the app's own listener.
  await page.addInitScript(() => {
    const Original = window.EventSource;
    (window as any).__progress = [];
    window.EventSource = class extends Original {
      constructor(url: string | URL, init?: EventSourceInit) {
        super(url, init);
        this.addEventListener('progress', (e) => (window as any).__progress.push(JSON.parse((e as MessageEvent).data)));
      }
    } as typeof EventSource;
  });
  let polls = 0;
  page.on('request', (r) => { if (r.url().includes('/_sf/get_game')) polls++; });
  const stream = page.waitForResponse((r) => r.url().endsWith(`/api/v1/games/${game.id}/events`));
  await page.goto(`/games/${game.id}`);
  const events = await stream;
  expect(events.headers()['content-type']).toBe('text/event-stream');
  await expect(page.locator('p.status')).toHaveAttribute('data-status', 'ready', { timeout: 60_000 });
  await expect(page.locator('.pictures img.preview')).toBeVisible();
  await expect(page.frameLocator('iframe.game-frame').locator('canvas')).toBeVisible();
  // The stream, not polling, brought the news; it ran through the stages in order.
  expect(polls).toBe(0);
  const views: { status: string; progress: number }[] = await page.evaluate(() => (window as any).__progress);
  expect(views.at(-1).status).toBe('ready');
  const percents = views.map((v) => v.progress);
  expect(percents).toEqual([...percents].sort((a, b) => a - b));
});

test('a ready game shows each picture its stages made, the animated preview included', async ({ page }) => {
  const game = await makeGame(page.request);
  await page.goto(`/games/${game.id}`);
  await expect(page.locator('p.status')).toHaveAttribute('data-status', 'ready');
  await expect(page.locator('.progress')).toHaveCount(0);
  for (const picture of ['img.cutout', 'img.sprite', 'img.sheet', 'img.preview']) {
    const img = page.locator(`.pictures ${picture}`);
    await expect(img).toBeVisible();
    await expect.poll(() => img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth > 0)).toBe(true);
  }
  const preview = await page.locator('.pictures img.preview').getAttribute('src');
  const gif = await page.request.get(preview!);
  expect(gif.headers()['content-type']).toBe('image/gif');
  expect((await gif.body()).subarray(0, 6).toString()).toBe('GIF89a');
});

test('a failed game names the stage that failed, says why, and can be tried again', async ({ page }) => {
  // A photo with no pet: only the REST API lets it reach the pipeline (the create page
  // refuses it before any game is made).
  await page.goto('/');
  const sky = await page.evaluate(() => {
    const canvas = document.createElement('canvas');
    canvas.width = 320;
    canvas.height = 240;
    const ctx = canvas.getContext('2d')!;
    ctx.fillStyle = '#78a0c8';
    ctx.fillRect(0, 0, 320, 240);
    return canvas.toDataURL('image/png').split(',')[1];
  });
  const upload = await page.request.post('/api/v1/images/upload', {
    multipart: { image: { name: 'sky.png', mimeType: 'image/png', buffer: Buffer.from(sky, 'base64') } },
  });
  expect(upload.status()).toBe(201);
  const image = await upload.json();
  const created = await page.request.post('/api/v1/games', {
    data: { image_id: image.id, pet_name: 'Nobody', theme: 'park', difficulty: 'easy', level_count: 1 },
  });
  expect(created.status()).toBe(202);
  const game = await created.json();

  await page.goto(`/games/${game.id}`);
  await waitForHydration(page);
  const status = page.locator('p.status');
  await expect(status).toHaveAttribute('data-status', 'failed', { timeout: 60_000 });
  await expect(status).toContainText('no pet found');
  const failedStage = page.locator('.progress li.failed');
  await expect(failedStage).toHaveAttribute('data-stage', 'remove_background');
  await expect(failedStage).toHaveText('Cutting your pet out');
  await expect(page.locator('.progress li.todo')).toHaveCount(3);

  // Trying again runs the stage again: the game is made anew (and, with this photo, fails
  // the same way).
  const retried = page.waitForResponse((r) => r.url().includes('/_sf/retry_game') && r.status() === 200);
  await page.getByRole('button', { name: 'Try again' }).click();
  await retried;
  await expect(status).toHaveAttribute('data-status', 'failed', { timeout: 60_000 });
  await expect(status).toContainText('no pet found');
  await expect(page.getByRole('button', { name: 'Try again' })).toBeEnabled();

  // A game that did not fail cannot be "tried again".
  const ready = await makeGame(page.request);
  const refused = await page.request.post(`/api/v1/games/${ready.id}/retry`);
  expect(refused.status()).toBe(422);
  expect((await refused.json()).error.message).toContain('only a game that failed');
});

test('asking to be emailed on the create page sends the game link once the address is confirmed', async ({ page, browser }) => {
  const address = `owner.${Date.now()}@example.com`;
  await page.goto('/create');
  await waitForHydration(page);
  await page.locator('input[type="file"][name="image"]').setInputFiles(CHELSEA);
  await expect(page.locator('label.dropzone img.cutout')).toBeVisible({ timeout: 60_000 });
  await page.getByLabel("Pet's name").fill('Chelsea');
  // A mistyped address is stopped by the browser with its own message, and nothing is made
  // (the server refuses one too: server/tests/suite/email.rs).
  const email = page.getByLabel("Email me when it's ready (optional)");
  await email.fill('chelsea-at-example.com');
  await page.getByRole('button', { name: 'Make my game' }).click();
  expect(await email.evaluate((el: HTMLInputElement) => el.validationMessage)).not.toBe('');
  await expect(page).toHaveURL(/\/create$/);

  await email.fill(address);
  await page.getByRole('button', { name: 'Make my game' }).click();
  await expect(page).toHaveURL(/\/games\/[0-9a-f-]{36}$/);
  await expect(page.locator('p.status')).toHaveAttribute('data-status', 'ready', { timeout: 90_000 });
  const code = (await page.getByRole('link', { name: 'Open the game page' }).getAttribute('href'))!.split('/').pop();

  // The address's owner is asked first (the embedded default keeps mail in its outbox), and
  // says yes from their own browser.
  const link = await emailedLink(address, 'Confirm your email for PetPixel Games', '/confirm-email');
  expect(mailsTo(address)).toHaveLength(1);
  const owner = await (await browser.newContext()).newPage();
  await owner.goto(link);
  await waitForHydration(owner);
  await owner.getByRole('button', { name: 'Yes, email me' }).click();
  await expect(owner.getByRole('status')).toContainText('we will email you');

  await expect.poll(() => mailsTo(address).length, { timeout: 20_000 }).toBe(2);
  const mail = mailsTo(address).find((m) => m.includes(`/g/${code}`));
  expect(mail).toBeDefined();
  expect(mail).toContain("Subject: Chelsea's game is ready to play");
});
