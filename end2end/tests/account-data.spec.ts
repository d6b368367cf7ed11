// A person's data: downloading everything as a ZIP from the account page, then deleting the
// account, which takes every photo and game with it.
import { expect, test } from '@playwright/test';
import * as fs from 'fs';
import { makeGame, waitForHydration } from './helpers';

const PASSWORD = 'correct horse battery';

test('a person downloads their data, then deletes their account and everything in it', async ({ page }) => {
  // A game made anonymously becomes the account's at sign-up (same browser, same cookie).
  const game = await makeGame(page.request);
  const email = `leaver.${Date.now()}@example.com`;
  expect((await page.request.post('/api/v1/auth/register', { data: { email, password: PASSWORD } })).status()).toBe(201);

  await page.goto('/account');
  await waitForHydration(page);
  const downloading = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Download my data' }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toMatch(/^petpixel-data-\d{4}-\d\d-\d\d\.zip$/);
  const zip = fs.readFileSync((await download.path())!);
  expect(zip.subarray(0, 4).toString('latin1')).toBe('PK\u0003\u0004');
  for (const name of ['account.json', 'photos.json', 'games.json', `games/${game.id}/${game.short_code}.html`]) {
    expect(zip.includes(Buffer.from(name)), name).toBe(true);
  }

  // A wrong password deletes nothing, and says why.
  page.on('dialog', (dialog) => dialog.accept());
  await page.getByLabel('Your password').fill('not my password');
  await page.getByRole('button', { name: 'Delete my account' }).click();
  await expect(page.getByRole('alert')).toContainText('nothing was deleted');

  await page.getByLabel('Your password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Delete my account' }).click();
  await expect(page).toHaveURL(/\/$/);
  await waitForHydration(page);
  await expect(page.locator('header').getByRole('link', { name: 'Log in' })).toBeVisible();

  // The game's link is gone, and the account cannot be logged in to.
  expect((await page.request.get(`/g/${game.short_code}`)).status()).toBe(404);
  expect((await page.request.post('/api/v1/auth/login', { data: { email, password: PASSWORD } })).status()).toBe(401);
});
