// Visitors: looking costs nothing (no cookie, nothing kept), the first upload makes a visitor,
// and what a visitor made stays theirs when the server restarts.
import { expect, test } from '@playwright/test';
import { ChildProcess, spawn } from 'child_process';
import { once } from 'events';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CHELSEA, makeGame, waitForHydration } from './helpers';

test('a person who only looks at pages and a shared game is given no cookie', async ({ page, request }) => {
  const game = await makeGame(request);
  await page.goto('/');
  await waitForHydration(page);
  await page.goto(`/g/${game.short_code}`);
  await waitForHydration(page);
  await expect(page.locator('iframe.game-frame')).toBeVisible();
  expect(await page.context().cookies()).toEqual([]);

  // Keeping a photo is what makes a visitor: the upload brings the session's cookie.
  await page.goto('/create');
  await waitForHydration(page);
  await page.locator('input[type="file"][name="image"]').setInputFiles(CHELSEA);
  await expect(page.locator('label.dropzone img.cutout')).toBeVisible({ timeout: 60_000 });
  const cookies = await page.context().cookies();
  expect(cookies.map((c) => c.name)).toEqual(['petpixel_session']);
});

/** `petpixel serve` on `port` with `dataDir`, apart from the suite's server; ready on return. */
async function startServer(port: number, dataDir: string): Promise<ChildProcess> {
  const child = spawn('bash', [path.join(__dirname, '..', 'serve.sh'), String(port), dataDir], {
    detached: true,
    stdio: 'ignore',
  });
  await expect
    .poll(async () => {
      try {
        return (await fetch(`http://127.0.0.1:${port}/health`)).status;
      } catch {
        return 0;
      }
    }, { timeout: 60_000 })
    .toBe(200);
  return child;
}

/** Stops it as an orchestrator would (SIGTERM) and waits until it has exited. */
async function stopServer(child: ChildProcess) {
  const exited = once(child, 'exit');
  process.kill(-child.pid!, 'SIGTERM');
  await exited;
}

test('a game made before a restart is still its maker\'s after it', async ({ page, browser }) => {
  const port = Number(process.env.E2E_PORT ?? 3100) + 1;
  const base = `http://127.0.0.1:${port}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'petpixel-restart-'));
  let server = await startServer(port, dataDir);
  try {
    await page.goto(`${base}/create`);
    await waitForHydration(page);
    await page.locator('input[type="file"][name="image"]').setInputFiles(CHELSEA);
    await expect(page.locator('label.dropzone img.cutout')).toBeVisible({ timeout: 60_000 });
    await page.getByLabel("Pet's name").fill('Chelsea');
    await page.getByLabel('Levels').fill('1');
    await page.getByRole('button', { name: 'Make my game' }).click();
    await expect(page).toHaveURL(/\/games\/[0-9a-f-]{36}$/);
    await expect(page.locator('.status[data-status="ready"]')).toBeVisible({ timeout: 90_000 });
    const gamePage = page.url();

    await stopServer(server);
    server = await startServer(port, dataDir);

    // The same person, after the restart: still their game, with their controls.
    await page.reload();
    await waitForHydration(page);
    await expect(page.locator('.status[data-status="ready"]')).toBeVisible();
    await expect(page.getByRole('button', { name: 'New levels' })).toBeVisible();
    // Someone else, at the same address: nothing to see.
    const stranger = await browser.newPage();
    await stranger.goto(gamePage);
    await expect(stranger.getByRole('alert')).toHaveText('not found');
    await stranger.close();
  } finally {
    await stopServer(server);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
