// A game's audience as its owner meets it: someone else opens the game's page (a view), plays
// the game to the end (a play and a finished run) and shares it; the owner's page of the game
// shows the figures and today's bar in the chart of plays per day. (Robots, limits, bad
// batches, the days and the dropping of old months are the server suite's: `analytics.rs`.)
import { expect, Frame, Page, test } from '@playwright/test';
import { gameReady, makeGame, waitForHydration } from './helpers';

// A person's browser: headless Chromium's own user agent says "HeadlessChrome", and robots
// are not counted.
const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
test.use({ userAgent: BROWSER });

async function gameFrame(page: Page): Promise<Frame> {
  const handle = await page.locator('iframe.game-frame').elementHandle();
  const frame = await handle?.contentFrame();
  if (!frame) throw new Error('the game frame did not load');
  return frame;
}

/** Waits for the page to send events and the server to count them. */
function counted(page: Page, type: string) {
  return page.waitForResponse(
    (r) => r.url().endsWith('/events') && r.request().method() === 'POST'
      && (r.request().postData() ?? '').includes(`"${type}"`) && r.status() === 202,
    { timeout: 120_000 },
  );
}

test('the owner sees who viewed, played, finished and shared the game', async ({ page, browser }) => {
  const game = await makeGame(page.request, 'park', 1);

  // Someone else, in their own browser.
  const visitor = await browser.newContext({ userAgent: BROWSER });
  await visitor.grantPermissions(['clipboard-read', 'clipboard-write']);
  const player = await visitor.newPage();
  const viewed = counted(player, 'view');
  await player.goto(`/g/${game.short_code}`);
  await waitForHydration(player);
  expect(await (await viewed).json()).toEqual({ counted: 1 });

  // Started by hand, the game reports its play; then it plays itself to the end (the
  // game's own proof, fed in as the player's buttons).
  const frame = await gameFrame(player);
  await gameReady(frame);
  const played = player.waitForResponse((r) => r.url().endsWith('/plays') && r.status() === 204);
  await player.locator('iframe.game-frame').click();
  await frame.locator('canvas').press('Space');
  await played;
  const finished = counted(player, 'complete');
  expect(await frame.evaluate(() => (window as any).__petpixel.autoplay())).toBe(true);
  await expect(frame.getByRole('dialog', { name: 'Leaderboard' })).toBeVisible({ timeout: 120_000 });
  await finished;

  const shared = counted(player, 'share');
  await player.getByTestId('share').click();
  await expect(player.getByTestId('share')).toHaveText('Link copied!');
  await shared;
  await visitor.close();

  // The owner's page of the game (its own view counts too: the page shows the game).
  await page.goto(`/games/${game.id}`);
  await waitForHydration(page);
  const stats = page.getByTestId('game-stats');
  await expect(stats.getByRole('heading', { name: 'Audience' })).toBeVisible();
  expect(Number(await stats.getByTestId('stat-views').textContent())).toBeGreaterThanOrEqual(1);
  await expect(stats.getByTestId('stat-plays')).toHaveText('1');
  await expect(stats.getByTestId('stat-completions')).toHaveText('1');
  await expect(stats.getByTestId('stat-rate')).toHaveText('100 %');
  await expect(stats.getByTestId('stat-shares')).toHaveText('1');
  const chart = stats.getByRole('img', { name: /Plays per day over the last 30 days: 1 in all/ });
  await expect(chart).toBeVisible();
  const today = new Date().toISOString().slice(0, 10);
  await expect(chart.locator(`rect[data-day="${today}"]`)).toHaveAttribute('data-plays', '1');
  await expect(chart.locator('rect')).toHaveCount(30);
});
