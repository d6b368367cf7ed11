// Accounts as a person uses them: a visitor makes a game, signs up and finds it in My games;
// logs in on another device, finds it there and deletes it; changes the password, which logs the other
// device out; logs out.
import { Browser, expect, Page, test } from '@playwright/test';
import { makeGame, waitForHydration } from './helpers';

const PASSWORD = 'correct horse battery';

function uniqueEmail(): string {
  return `e2e.${Date.now()}.${Math.floor(Math.random() * 1e6)}@example.com`;
}

async function fillCredentials(page: Page, email: string, password: string) {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
}

async function logIn(browser: Browser, email: string, password: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto('/login');
  await waitForHydration(page);
  await fillCredentials(page, email, password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(/\/my-games$/);
  return page;
}

test('a visitor signs up, keeps the game they made, and finds it on another device', async ({ page, browser }) => {
  // Made anonymously, in this browser (its cookie owns the game).
  const game = await makeGame(page.request);

  await page.goto('/');
  await waitForHydration(page);
  await page.locator('header').getByRole('link', { name: 'Sign up' }).click();
  await expect(page).toHaveURL(/\/signup$/);
  await waitForHydration(page);

  // A short password is refused with the reason, and nothing is made.
  const email = uniqueEmail();
  await fillCredentials(page, email, 'short');
  await page.getByLabel('Password').evaluate((el: HTMLInputElement) => el.removeAttribute('minlength'));
  await page.getByRole('button', { name: 'Sign up' }).click();
  await expect(page.getByRole('alert')).toContainText('at least 10 characters');

  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await expect(page).toHaveURL(/\/my-games$/);
  await waitForHydration(page);
  const rows = page.getByTestId('my-game');
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText("Chelsea's Great Adventure");
  await expect(rows.first()).toContainText('Ready');
  await expect(rows.first().getByRole('link', { name: 'Play' })).toHaveAttribute('href', `/g/${game.short_code}`);
  await expect(page.locator('header').getByRole('link', { name: 'Account' })).toBeVisible();

  // Another device: log in, and the game is there.
  const phone = await logIn(browser, email, PASSWORD);
  await expect(phone.getByTestId('my-game')).toHaveCount(1);

  // Deleting it (after confirming) removes it everywhere.
  phone.once('dialog', (dialog) => dialog.accept());
  await phone.getByTestId('my-game').getByRole('button', { name: 'Delete' }).click();
  await expect(phone.getByText('No games yet.')).toBeVisible();
  await phone.goto(`/g/${game.short_code}`);
  await expect(phone.getByRole('alert')).toContainText('not found');
  expect((await phone.request.get(`/api/v1/play/${game.short_code}/game.wasm`)).status()).toBe(404);

  // Signing in as someone else does not hand this person's things over.
  const stranger = await (await browser.newContext()).newPage();
  await stranger.goto('/my-games');
  await waitForHydration(stranger);
  await expect(stranger.getByText('No games yet.')).toBeVisible();
});

test('a wrong password is refused, a password change logs other devices out, and logging out ends the session', async ({ page, browser }) => {
  const email = uniqueEmail();
  await page.goto('/signup');
  await waitForHydration(page);
  await fillCredentials(page, email, PASSWORD);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await expect(page).toHaveURL(/\/my-games$/);

  const wrong = await (await browser.newContext()).newPage();
  await wrong.goto('/login');
  await waitForHydration(wrong);
  await fillCredentials(wrong, email, 'not the password');
  await wrong.getByRole('button', { name: 'Log in' }).click();
  await expect(wrong.getByRole('alert')).toContainText('do not match an account');

  const other = await logIn(browser, email, PASSWORD);

  await page.goto('/account');
  await waitForHydration(page);
  await expect(page.getByTestId('account-email')).toHaveText(email);
  await page.getByLabel('Current password').fill(PASSWORD);
  await page.getByLabel('New password').fill('an even better passphrase');
  await page.getByRole('button', { name: 'Save password' }).click();
  await expect(page.getByRole('status')).toContainText('Password changed');
  await expect(page.getByTestId('device')).toHaveCount(1);

  // The other device is logged out; this one is not.
  await other.goto('/account');
  await waitForHydration(other);
  await expect(other.getByText('You are not logged in.')).toBeVisible();
  await expect(other.locator('header').getByRole('link', { name: 'Log in' })).toBeVisible();

  await page.getByRole('button', { name: 'Log out', exact: true }).click();
  await expect(page).toHaveURL(/\/$/);
  await waitForHydration(page);
  await expect(page.locator('header').getByRole('link', { name: 'Log in' })).toBeVisible();
  await page.goto('/account');
  await waitForHydration(page);
  await expect(page.getByText('You are not logged in.')).toBeVisible();

  const again = await logIn(browser, email, 'an even better passphrase');
  await expect(again.getByText('No games yet.')).toBeVisible();
});

test('My games asks for new levels, and "Log out everywhere" ends every device', async ({ page, browser }) => {
  const game = await makeGame(page.request);
  const email = uniqueEmail();
  expect((await page.request.post('/api/v1/auth/register', { data: { email, password: PASSWORD } })).status()).toBe(201);
  const phone = await logIn(browser, email, PASSWORD);

  // New levels: the game is made again (a new seed) and is ready again.
  await page.goto('/my-games');
  await waitForHydration(page);
  const row = page.getByTestId('my-game');
  await expect(row).toContainText('Ready');
  // The game's module is named by its content: new levels make a new one.
  const moduleOf = async () => (await (await page.request.get(`/embed/${game.short_code}`)).text()).match(/game-[0-9a-f]+\.wasm/)?.[0];
  const before = await moduleOf();
  expect(before).toBeDefined();
  await row.getByRole('button', { name: 'New levels' }).click();
  await expect
    .poll(async () => (await (await page.request.get(`/api/v1/games/${game.id}`)).json()).status, { timeout: 90_000 })
    .toBe('ready');
  await page.reload();
  await waitForHydration(page);
  await expect(page.getByTestId('my-game')).toContainText('Ready');
  expect(await moduleOf()).not.toBe(before);

  // Log out everywhere: this device and the phone.
  await page.goto('/account');
  await waitForHydration(page);
  await page.getByRole('button', { name: 'Log out everywhere' }).click();
  await expect(page).toHaveURL(/\/$/);
  for (const device of [page, phone]) {
    await device.goto('/account');
    await waitForHydration(device);
    await expect(device.getByText('You are not logged in.')).toBeVisible();
  }
});

test('the account page lists where you are logged in, and logs a lost phone out', async ({ page, browser }) => {
  const email = uniqueEmail();
  expect((await page.request.post('/api/v1/auth/register', { data: { email, password: PASSWORD } })).status()).toBe(201);
  // The phone logs in through the page, as itself.
  const phoneContext = await browser.newContext({
    userAgent: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Mobile Safari/537.36',
    viewport: { width: 390, height: 844 },
    isMobile: true,
    hasTouch: true,
  });
  const phone = await phoneContext.newPage();
  await phone.goto('/login');
  await waitForHydration(phone);
  await fillCredentials(phone, email, PASSWORD);
  await phone.getByRole('button', { name: 'Log in' }).tap();
  await expect(phone).toHaveURL(/\/my-games$/);

  await page.goto('/account');
  await waitForHydration(page);
  const devices = page.getByTestId('device');
  await expect(devices).toHaveCount(2);
  const here = devices.filter({ hasText: 'This device' });
  await expect(here).toHaveCount(1);
  await expect(here.getByRole('button', { name: /^Log out/ })).toHaveCount(0);
  const lost = devices.filter({ hasText: 'Chrome on Android' });
  await expect(lost).toContainText('last active');
  await lost.getByRole('button', { name: 'Log out Chrome on Android' }).click();
  await expect(devices).toHaveCount(1);
  await expect(devices).toContainText('This device');

  await phone.goto('/account');
  await waitForHydration(phone);
  await expect(phone.getByText('You are not logged in.')).toBeVisible();
  // This browser is still in.
  await page.reload();
  await waitForHydration(page);
  await expect(page.getByTestId('account-email')).toHaveText(email);
  await phoneContext.close();
});

test.describe('on a phone', () => {
  test.use({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });

  test('signing up and logging in work from the header', async ({ page }) => {
    await page.goto('/');
    await waitForHydration(page);
    await page.locator('header').getByRole('link', { name: 'Sign up' }).tap();
    await waitForHydration(page);
    await fillCredentials(page, uniqueEmail(), PASSWORD);
    await page.getByRole('button', { name: 'Sign up' }).tap();
    await expect(page).toHaveURL(/\/my-games$/);
    await expect(page.getByRole('heading', { name: 'My games' })).toBeVisible();
    const header = await page.locator('header').boundingBox();
    expect(header!.width).toBeLessThanOrEqual(390);
  });
});
