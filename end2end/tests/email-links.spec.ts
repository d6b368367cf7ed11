// The links we email, followed as a person would: confirming the address after signing up,
// setting a forgotten password, and agreeing to be told when someone's game is ready.
import { expect, test } from '@playwright/test';
import { emailedLink, waitForHydration } from './helpers';

function uniqueEmail(): string {
  return `links.${Date.now()}.${Math.floor(Math.random() * 1e6)}@example.com`;
}

test('a new account confirms its address with the emailed link', async ({ page }) => {
  const email = uniqueEmail();
  await page.goto('/signup');
  await waitForHydration(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Sign up' }).click();
  await expect(page).toHaveURL(/\/my-games$/);

  await page.goto('/account');
  await expect(page.getByTestId('email-verified')).toContainText('Not yet');

  // Opened from the inbox: nothing happens until the button is pressed.
  const link = await emailedLink(email, 'Confirm your email address', '/verify-email');
  await page.goto(link);
  await waitForHydration(page);
  await page.getByRole('button', { name: 'Confirm my address' }).click();
  await expect(page.getByRole('status')).toHaveText('Thank you: your address is confirmed.');

  // Used once: a second press says so.
  await page.reload();
  await waitForHydration(page);
  await page.getByRole('button', { name: 'Confirm my address' }).click();
  await expect(page.getByRole('alert')).toContainText('expired or was already used');

  await page.goto('/account');
  await expect(page.getByTestId('email-verified')).toHaveText('Yes');
});

test('a forgotten password is set anew from the emailed link, which logs in', async ({ page, browser }) => {
  const email = uniqueEmail();
  const signup = await page.request.post('/api/v1/auth/register', { data: { email, password: 'correct horse battery' } });
  expect(signup.status()).toBe(201);

  const stranger = await (await browser.newContext()).newPage();
  await stranger.goto('/login');
  await waitForHydration(stranger);
  await stranger.getByRole('link', { name: 'Forgotten your password?' }).click();
  await expect(stranger).toHaveURL(/\/forgot-password$/);
  await waitForHydration(stranger);
  await stranger.getByLabel('Email').fill(email);
  await stranger.getByRole('button', { name: 'Email me a link' }).click();
  await expect(stranger.getByRole('status')).toContainText('If an account has this address');

  const link = await emailedLink(email, 'Set a new password', '/reset-password');
  await stranger.goto(link);
  await waitForHydration(stranger);
  await stranger.getByLabel('New password').fill('a brand new passphrase');
  await stranger.getByRole('button', { name: 'Save and log in' }).click();
  await expect(stranger).toHaveURL(/\/my-games$/);
  await expect(stranger.locator('header').getByRole('link', { name: 'Account' })).toBeVisible();

  // The session that signed up was logged out by the change.
  expect((await page.request.get('/api/v1/auth/profile')).status()).toBe(401);
});
