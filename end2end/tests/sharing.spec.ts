// A ready game is shared: its public page (its link copied or handed to the share sheet, and
// the tags a shared link unfurls with), an iframe on another site, the offline download.
import { expect, test } from '@playwright/test';
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import { canvasColours, gameReady, makeGame, waitForHydration } from './helpers';

let code = '';

test.beforeAll(async ({ request }) => {
  code = (await makeGame(request, 'space')).short_code;
});

test('the public game page plays the game and copies its link', async ({ page, context, baseURL }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.goto(`/g/${code}`);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText("Chelsea's Great Adventure");
  // The snippet works pasted on any site: its address is absolute.
  await expect(page.locator('.embed-snippet')).toHaveValue(new RegExp(`<iframe src="${baseURL}/embed/${code}"`));
  const game = (await (await page.locator('iframe.game-frame').elementHandle())!.contentFrame())!;
  await gameReady(game);
  expect(await canvasColours(game)).toBeGreaterThan(8);

  await waitForHydration(page);
  await page.getByRole('button', { name: 'Copy link' }).click();
  await expect(page.getByRole('button', { name: 'Link copied!' })).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(`${baseURL}/g/${code}`);
});

test('the embed code is built to the size asked for and previewed as pasted', async ({ page, context, baseURL }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.goto(`/g/${code}`);
  await waitForHydration(page);
  const snippet = page.locator('.embed-snippet');
  await expect(snippet).toHaveValue(/width="640" height="360"/);
  await page.getByRole('spinbutton', { name: 'Width' }).fill('800');
  await page.getByRole('spinbutton', { name: 'Height' }).fill('450');
  await expect(snippet).toHaveValue(new RegExp(`^<iframe src="${baseURL}/embed/${code}" width="800" height="450"`));
  await page.getByRole('radio', { name: 'Fills the width (16:9)' }).check();
  await expect(snippet).toHaveValue(/aspect-ratio:16\/9/);
  await expect(page.getByRole('spinbutton', { name: 'Width' })).toBeDisabled();
  await page.getByRole('button', { name: 'Copy code' }).click();
  await expect(page.getByRole('button', { name: 'Code copied!' })).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(await snippet.inputValue());

  // The preview is the code itself in a page of its own, and the game plays in it.
  await page.getByRole('button', { name: 'Preview' }).click();
  await expect(page.frameLocator('iframe.embed-preview').frameLocator('iframe').locator('canvas')).toBeVisible();
  const frame = (await (await page.locator('iframe.embed-preview').elementHandle())!.contentFrame())!;
  const game = (await (await frame.locator('iframe').elementHandle())!.contentFrame())!;
  await gameReady(game);
});

test('a shared link unfurls: Open Graph and Twitter card tags name the game and show the pet', async ({ request, baseURL }) => {
  // What a chat app's crawler reads: the page as served, no script run.
  const html = await (await request.get(`/g/${code}`)).text();
  const tag = (attr: string, name: string) =>
    html.match(new RegExp(`<meta ${attr}="${name}" content="([^"]*)"`))?.[1];
  expect(tag('property', 'og:title')).toBe("Chelsea's Great Adventure");
  expect(tag('property', 'og:url')).toBe(`${baseURL}/g/${code}`);
  expect(tag('property', 'og:description')).toContain('starring Chelsea');
  expect(tag('name', 'twitter:card')).toBe('summary');
  const image = tag('property', 'og:image');
  expect(image).toBe(`${baseURL}/api/v1/play/${code}/cutout.png`);
  const picture = await request.get(image!);
  expect(picture.status()).toBe(200);
  expect(picture.headers()['content-type']).toBe('image/png');
});

test('Share copies the link where the browser has no share sheet', async ({ page, context, baseURL }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.goto(`/g/${code}`);
  await waitForHydration(page);
  expect(await page.evaluate(() => 'share' in navigator)).toBe(false);
  await page.getByTestId('share').click();
  await expect(page.getByTestId('share')).toHaveText('Link copied!');
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(`${baseURL}/g/${code}`);
});

test.describe('on a phone', () => {
  test.use({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });

  test('Share opens the system share sheet with the game', async ({ page, baseURL }) => {
    // Chromium on Linux has no share sheet; the phone's is stood in for, recording what it
    // was handed.
    await page.addInitScript(() => {
      (window as any).__shared = [];
      (navigator as any).share = (data: unknown) => {
        (window as any).__shared.push(data);
        return Promise.resolve();
      };
    });
    await page.goto(`/g/${code}`);
    await waitForHydration(page);
    await page.getByTestId('share').tap();
    await expect(page.getByTestId('share')).toHaveText('Shared!');
    expect(await page.evaluate(() => (window as any).__shared)).toEqual([
      { title: "Chelsea's Great Adventure", url: `${baseURL}/g/${code}` },
    ]);
  });
});

test('the embed works inside an iframe on another site', async ({ page, baseURL }) => {
  // Another site: a real HTTP server on its own port, so a different origin.
  const blog = http.createServer((_req, res) => {
    res.setHeader('content-type', 'text/html');
    res.end(`<!doctype html><h1>My cat's game</h1><iframe id="g" src="${baseURL}/embed/${code}" width="640" height="360"></iframe>`);
  });
  await new Promise<void>((resolve) => blog.listen(0, '127.0.0.1', resolve));
  try {
    const blogUrl = `http://127.0.0.1:${(blog.address() as AddressInfo).port}/post.html`;
    expect(new URL(blogUrl).origin).not.toBe(new URL(baseURL!).origin);
    await page.goto(blogUrl);
    const frame = (await (await page.locator('#g').elementHandle())!.contentFrame())!;
    const state = await gameReady(frame);
    expect(state.state).toBe('title');
    expect(await canvasColours(frame)).toBeGreaterThan(8);
  } finally {
    blog.close();
  }
});

test('the downloaded file plays offline from file://', async ({ page }, testInfo) => {
  await page.goto(`/g/${code}`);
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download' }).click()]);
  const file = testInfo.outputPath('game.html');
  await download.saveAs(file);
  const html = fs.readFileSync(file, 'utf8');
  expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);

  await page.context().setOffline(true);
  await page.goto(`file://${file}`);
  const state = await gameReady(page);
  expect(state.state).toBe('title');
  expect(await canvasColours(page)).toBeGreaterThan(8);
  await page.keyboard.press('Space');
  await expect.poll(async () => (await page.evaluate(() => (window as any).__petpixel.state())).state).toBe('playing');
});

test('the public page counts a play once the game is started', async ({ page }) => {
  const plays = async () => {
    const text = (await page.locator('.plays').textContent()) ?? '';
    if (text.includes('Not played yet')) return 0;
    if (text.includes('Played once')) return 1;
    return Number(/Played (\d+) times/.exec(text)?.[1] ?? NaN);
  };
  await page.goto(`/g/${code}`);
  const before = await plays();
  expect(before).toBeGreaterThanOrEqual(0);
  const game = (await (await page.locator('iframe.game-frame').elementHandle())!.contentFrame())!;
  await gameReady(game);
  await page.locator('iframe.game-frame').click();
  await game.locator('canvas').press('Space');
  await expect.poll(async () => (await game.evaluate(() => (window as any).__petpixel.state())).state).toBe('playing');
  await expect.poll(async () => {
    await page.reload();
    return plays();
  }).toBe(before + 1);
});
