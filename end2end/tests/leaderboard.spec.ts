// A verified leaderboard as a player meets it: a run played to the end (the game's own proof,
// fed in as the player's buttons) brings up the end screen's board; the name typed there is
// sent with the run, the server replays it, and the time shows on the game's public page.
// (Refused runs are the server suite's: `leaderboard.rs`.)
import { expect, Frame, Page, test } from '@playwright/test';
import { gameReady, makeGame, waitForHydration } from './helpers';

let code = '';

test.beforeAll(async ({ request }) => {
  code = (await makeGame(request, 'park', 1)).short_code;
});

async function gameFrame(page: Page): Promise<Frame> {
  const handle = await page.locator('iframe.game-frame').elementHandle();
  const frame = await handle?.contentFrame();
  if (!frame) throw new Error('the game frame did not load');
  return frame;
}

test('a finished run is saved under a name and shows on the game page', async ({ page }) => {
  await page.goto(`/g/${code}`);
  await waitForHydration(page);
  const board = page.locator('section.leaderboard');
  await expect(board.getByText('No times yet')).toBeVisible();

  const frame = await gameFrame(page);
  await gameReady(frame);
  expect(await frame.evaluate(() => (window as any).__petpixel.autoplay())).toBe(true);
  // The end screen's board opens when the run reaches the last goal.
  const dialog = frame.getByRole('dialog', { name: 'Leaderboard' });
  await expect(dialog).toBeVisible({ timeout: 120_000 });
  const time = (await dialog.locator('#pp-time').textContent())?.replace('Your time: ', '') ?? '';
  expect(time).toMatch(/^\d+:\d\d\.\d\d$/);
  await expect(dialog.getByText('No times yet: be the first.')).toBeVisible();

  await dialog.getByLabel('Your name for the leaderboard').fill('Speedy Chelsea');
  await dialog.getByRole('button', { name: 'Save my time' }).click();
  await expect(dialog.getByRole('status')).toHaveText('Saved: you are number 1!');
  await expect(dialog.locator('li[data-rank="1"]')).toContainText('Speedy Chelsea');
  await expect(dialog.locator('li[data-rank="1"]')).toContainText(time);
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toHaveCount(0);

  await page.reload();
  await waitForHydration(page);
  const first = board.locator('li[data-rank="1"]');
  await expect(first.locator('.name')).toHaveText('Speedy Chelsea');
  await expect(first.locator('.time')).toHaveText(time);
});
