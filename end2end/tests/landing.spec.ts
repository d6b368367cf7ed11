// The landing page explains the product, leads to the create page, and the UI is hydrated.
import { expect, test } from '@playwright/test';
import { waitForHydration } from './helpers';

test('the landing page explains the product and leads to the create page', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Your pet, starring in its own video game');
  await expect(page.getByText('Pick a world')).toBeVisible();
  await waitForHydration(page);
  await page.getByRole('link', { name: "Make my pet's game" }).click();
  await expect(page).toHaveURL(/\/create$/);
  await expect(page.getByRole('heading', { name: "Make your pet's game" })).toBeVisible();
});

test('the hydrated UI responds to clicks (a broken wasm build fails here)', async ({ page }) => {
  await page.goto('/create');
  await waitForHydration(page);
  const space = page.locator('button[data-theme="space"]');
  await expect(space).toHaveAttribute('aria-pressed', 'false');
  await space.click();
  await expect(space).toHaveAttribute('aria-pressed', 'true');
  await expect(page.locator('button[data-theme="garden"]')).toHaveAttribute('aria-pressed', 'false');
});

test('submitting without a photo says what is missing', async ({ page }) => {
  await page.goto('/create');
  await waitForHydration(page);
  await page.getByLabel("Pet's name").fill('Rex');
  await page.getByRole('button', { name: 'Make my game' }).click();
  await expect(page.getByRole('alert')).toHaveText('Choose a photo of your pet first.');
});

test('an unknown page shows a friendly 404', async ({ page }) => {
  const response = await page.goto('/no/such/page');
  expect(response?.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'Nothing here' })).toBeVisible();
});
