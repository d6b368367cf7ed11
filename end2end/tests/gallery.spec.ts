// The gallery as people use it: an owner publishes a finished game with a description, a
// moderator approves it from the queue, and anyone finds it by searching and plays it; a
// rejected game tells its owner why; a reported game is taken down. Moderators are made with
// `petpixel admin grant`.
import { Browser, expect, Page, test } from '@playwright/test';
import { gameReady, gameState, grantRole, makeGame, signUp, waitForHydration } from './helpers';

async function moderatorPage(browser: Browser): Promise<Page> {
  const page = await browser.newPage({ baseURL: `http://127.0.0.1:${process.env.E2E_PORT ?? 3100}` });
  const email = await signUp(page, 'e2e.mod');
  grantRole(email, 'moderator');
  return page;
}

/** An owner's finished game, published from its page with `description`. */
async function publishedGame(page: Page, description: string): Promise<{ id: string; short_code: string }> {
  await signUp(page, 'e2e.owner');
  const game = await makeGame(page.request, 'beach', 1);
  await page.goto(`/games/${game.id}`);
  await waitForHydration(page);
  const panel = page.getByTestId('publish');
  await expect(panel.getByTestId('visibility')).toHaveText('Only people with its link can find this game.');
  await panel.getByLabel('Describe your game for the gallery (optional)').fill(description);
  await panel.getByRole('button', { name: 'Publish to the gallery' }).click();
  await expect(page.getByTestId('publish')).toHaveAttribute('data-visibility', 'pending');
  await expect(page.getByTestId('visibility')).toHaveText('Waiting for a moderator before it appears in the gallery.');
  return game;
}

test('a published game is approved by a moderator, then found by search and played', async ({ page, browser }) => {
  const word = `zephyr${Date.now()}`;
  const game = await publishedGame(page, `Chelsea surfs the ${word} waves`);
  // Not listed while it waits.
  await page.goto(`/games?q=${word}`);
  await expect(page.getByTestId('gallery-empty')).toBeVisible();

  const moderator = await moderatorPage(browser);
  await moderator.goto('/account');
  await moderator.getByRole('link', { name: 'Moderation queue' }).click();
  await expect(moderator).toHaveURL(/\/moderation$/);
  await waitForHydration(moderator);
  const item = moderator.locator(`[data-testid="queue-item"][data-game="${game.id}"]`);
  await expect(item).toContainText(`Chelsea surfs the ${word} waves`);
  await expect(item.getByRole('img', { name: 'The cut-out' })).toBeVisible();
  // The owner's photo beside it, which only moderators may see.
  await expect(item.getByRole('img', { name: 'The photo' })).toHaveJSProperty('complete', true);
  expect(await item.getByRole('img', { name: 'The photo' }).evaluate((i: HTMLImageElement) => i.naturalWidth)).toBeGreaterThan(0);
  await item.getByRole('button', { name: 'Approve' }).click();
  await expect(item).toHaveCount(0);
  await moderator.close();

  // Anyone searches for it (a prefix is enough) from the gallery and plays it.
  await page.goto('/');
  await page.getByRole('link', { name: 'Gallery' }).click();
  await expect(page).toHaveURL(/\/games$/);
  await waitForHydration(page);
  // As the prefix is typed, the game is suggested under the box.
  await page.getByLabel('Search games').pressSequentially(word.slice(0, 9));
  const suggestion = page.getByRole('list', { name: 'Suggestions' }).locator(`a[href="/g/${game.short_code}"]`);
  await expect(suggestion).toBeVisible();
  await expect(suggestion).toContainText('Chelsea');
  await page.getByRole('button', { name: 'Search' }).click();
  const card = page.locator(`[data-testid="gallery-card"][data-code="${game.short_code}"]`);
  await expect(card).toBeVisible();
  await expect(card.locator('img')).toHaveJSProperty('complete', true);
  await expect(card).toContainText(`Chelsea surfs the ${word} waves`);
  await card.getByRole('link').click();
  await expect(page).toHaveURL(new RegExp(`/g/${game.short_code}$`));
  // Played once, it is among today's most played.
  const frame = (await (await page.locator('iframe.game-frame').elementHandle())!.contentFrame())!;
  await gameReady(frame);
  await page.locator('iframe.game-frame').click();
  await frame.locator('canvas').press('Space');
  await expect.poll(async () => (await gameState(frame)).state).toBe('playing');
  // The page reports the play as the game starts: wait until it has landed.
  await expect
    .poll(async () => {
      const popular = await (await page.request.get('/api/v1/gallery?sort=popular')).json();
      return popular.games.some((g: { short_code: string }) => g.short_code === game.short_code);
    })
    .toBe(true);
  await page.goto('/games');
  await waitForHydration(page);
  await page.getByRole('link', { name: 'Popular today' }).click();
  await expect(page).toHaveURL(/sort=popular$/);
  await expect(page.getByRole('link', { name: 'Popular today' })).toHaveAttribute('aria-current', 'page');
  await expect(page.locator(`[data-testid="gallery-card"][data-code="${game.short_code}"]`)).toBeVisible();
  // And the owner sees it listed.
  await page.goto(`/games/${game.id}`);
  await expect(page.getByTestId('publish')).toHaveAttribute('data-visibility', 'public');
});

test('a rejected game tells its owner why', async ({ page, browser }) => {
  const game = await publishedGame(page, 'Call me at 555 0100');
  const moderator = await moderatorPage(browser);
  await moderator.goto('/moderation');
  await waitForHydration(moderator);
  const item = moderator.locator(`[data-testid="queue-item"][data-game="${game.id}"]`);
  await item.getByLabel('Reason (the owner reads it)').fill('Please keep phone numbers out of descriptions');
  await item.getByRole('button', { name: 'Reject' }).click();
  await expect(item).toHaveCount(0);
  await moderator.close();

  await page.reload();
  await expect(page.getByTestId('publish')).toHaveAttribute('data-visibility', 'rejected');
  await expect(page.getByTestId('visibility')).toHaveText('A moderator did not list it: Please keep phone numbers out of descriptions');
  // A plain user cannot open the queue.
  await page.goto('/moderation');
  await expect(page.getByRole('alert').first()).toHaveText('Only moderators can see the queue.');
});

test('a game reported from its embed is taken down by a moderator', async ({ page, browser }) => {
  const game = await makeGame(page.request, 'house', 1);
  // The embed's report link opens the game's page at its report form.
  await page.goto(`/embed/${game.short_code}`);
  const link = page.getByRole('link', { name: 'Report' });
  await expect(link).toHaveAttribute('href', `/g/${game.short_code}#report`);
  await page.goto(`/g/${game.short_code}#report`);
  await waitForHydration(page);
  const form = page.locator('details.report');
  await expect(form).toHaveJSProperty('open', true);
  await form.getByLabel('What is wrong?').selectOption({ label: 'Offensive words' });
  await form.getByLabel('Anything the moderators should know (optional)').fill('The title is rude');
  await form.getByRole('button', { name: 'Send the report' }).click();
  await expect(form.getByRole('status')).toHaveText('Thank you: a moderator will look at this game.');

  const moderator = await moderatorPage(browser);
  await moderator.goto('/moderation');
  await waitForHydration(moderator);
  const item = moderator.locator(`[data-testid="queue-item"][data-game="${game.id}"][data-kind="reported"]`);
  await expect(item.locator('.report-reason')).toHaveText('Reported: Offensive words');
  await expect(item.locator('.report-note')).toHaveText('The title is rude');
  await item.getByLabel('Reason (the owner reads it)').fill('Taken down after a report');
  await item.getByRole('button', { name: 'Take it down' }).click();
  await expect(item).toHaveCount(0);
  await moderator.close();

  const embed = await page.request.get(`/embed/${game.short_code}`);
  expect(embed.status()).toBe(410);
  expect(await embed.text()).toContain('our moderators took it down');
});

test.describe('on a phone', () => {
  test.use({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });

  test('the gallery filters by world', async ({ page }) => {
    // The first test listed a beach game; none of this file's games is in space.
    await page.goto('/games');
    await waitForHydration(page);
    await expect(page.getByRole('link', { name: 'Newest' })).toHaveAttribute('aria-current', 'page');
    await page.getByLabel('World').selectOption('beach');
    await page.getByRole('button', { name: 'Show' }).tap();
    await expect(page).toHaveURL(/theme=beach/);
    const cards = page.getByTestId('gallery-card');
    await expect(cards.first()).toBeVisible();
    for (const card of await cards.all()) {
      await expect(card).toContainText('beach');
    }
    await page.getByLabel('World').selectOption('space');
    await page.getByRole('button', { name: 'Show' }).tap();
    await expect(page).toHaveURL(/theme=space/);
    for (const card of await cards.all()) {
      await expect(card).toContainText('space');
    }
  });
});

test('the gallery pages through listed games with "More games"', async ({ page, browser }) => {
  // Two games listed one after the other (published and approved through the REST API).
  await signUp(page, 'e2e.pager');
  const older = await makeGame(page.request, 'house', 1);
  const newer = await makeGame(page.request, 'house', 1);
  const moderator = await moderatorPage(browser);
  for (const game of [older, newer]) {
    expect((await page.request.post(`/api/v1/games/${game.id}/publish`, { data: {} })).status()).toBe(200);
    const queue = await (await moderator.request.get('/api/v1/moderation/queue')).json();
    const item = queue.items.find((i: { game_id: string }) => i.game_id === game.id);
    expect(item).toBeTruthy();
    expect((await moderator.request.post(`/api/v1/moderation/${item.id}/approve`, { data: {} })).status()).toBe(204);
  }
  await moderator.close();

  // One game a page, newest first: the newer, then "More games" brings the older.
  await page.goto('/games?sort=new&theme=house&limit=1');
  await waitForHydration(page);
  const cards = page.getByTestId('gallery-card');
  await expect(cards).toHaveCount(1);
  await expect(cards.first()).toHaveAttribute('data-code', newer.short_code);
  await page.getByRole('link', { name: 'More games' }).click();
  await expect(page).toHaveURL(/cursor=/);
  await expect(page).toHaveURL(/limit=1/);
  await expect(cards).toHaveCount(1);
  await expect(cards.first()).toHaveAttribute('data-code', older.short_code);
});
