// A person makes a game from a real pet photo and plays it: the whole journey in Chromium.
import { expect, test } from '@playwright/test';
import * as fs from 'fs';
import { CHELSEA, canvasColours, gameReady, gameState, waitForHydration } from './helpers';

test('a pet photo becomes a game that plays in the browser', async ({ page }) => {
  await page.goto('/create');
  await waitForHydration(page);

  await page.locator('input[type="file"][name="image"]').setInputFiles(CHELSEA);
  await expect(page.locator('img.preview')).toBeVisible();
  // The photo is uploaded and cut out straight away; the cut-out replaces the photo.
  await expect(page.locator('label.dropzone img.cutout')).toBeVisible({ timeout: 60_000 });
  await page.getByLabel("Pet's name").fill('Chelsea');
  await page.locator('button[data-theme="beach"]').click();
  await page.getByLabel('Difficulty').selectOption('easy');
  await page.getByLabel('Levels').fill('2');
  await page.getByRole('button', { name: 'Make my game' }).click();

  await expect(page).toHaveURL(/\/games\/[0-9a-f-]{36}$/);
  await expect(page.locator('.status[data-status="ready"]')).toBeVisible({ timeout: 90_000 });
  await expect(page.getByRole('heading', { level: 1 })).toHaveText("Chelsea's Great Adventure");
  for (const picture of ['img.cutout', 'img.sprite', 'img.sheet']) {
    await expect(page.locator(picture)).toBeVisible();
    expect(await page.locator(picture).evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(8);
  }

  const frame = page.frameLocator('iframe.game-frame');
  const handle = await page.locator('iframe.game-frame').elementHandle();
  const game = (await handle!.contentFrame())!;
  const first = await gameReady(game);
  expect(first.state).toBe('title');
  expect(await canvasColours(game)).toBeGreaterThan(8);

  // Start, then run right: the pet moves and the picture changes.
  await frame.locator('canvas').click();
  await page.keyboard.press('Space');
  await expect.poll(async () => (await gameState(game)).state).toBe('playing');
  const before = await gameState(game);
  const shotBefore = await page.locator('iframe.game-frame').screenshot();
  await page.keyboard.down('ArrowRight');
  await page.waitForTimeout(700);
  await page.keyboard.up('ArrowRight');
  const after = await gameState(game);
  expect(after.x).toBeGreaterThan(before.x);
  const shotAfter = await page.locator('iframe.game-frame').screenshot();
  expect(shotAfter.equals(shotBefore)).toBe(false);

  // Jump: the pet leaves the ground and comes back.
  const ground = (await gameState(game)).y;
  await page.keyboard.down('Space');
  await expect.poll(async () => (await gameState(game)).y, { timeout: 2_000 }).toBeLessThan(ground);
  await page.keyboard.up('Space');
});

test('a photo can be dropped onto the create page', async ({ page }) => {
  await page.goto('/create');
  await waitForHydration(page);
  const photo = fs.readFileSync(CHELSEA).toString('base64');
  const dataTransfer = await page.evaluateHandle(async (b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const transfer = new DataTransfer();
    transfer.items.add(new File([bytes], 'chelsea.png', { type: 'image/png' }));
    return transfer;
  }, photo);
  await page.locator('label.dropzone').dispatchEvent('dragover', { dataTransfer });
  await expect(page.locator('label.dropzone')).toHaveClass(/dragging/);
  await page.locator('label.dropzone').dispatchEvent('drop', { dataTransfer });
  await expect(page.locator('img.preview')).toBeVisible();
  await expect(page.locator('label.dropzone')).not.toHaveClass(/dragging/);
  expect(await page.locator('input[name="image"]').evaluate((input: HTMLInputElement) => input.files?.[0]?.name)).toBe(
    'chelsea.png',
  );
});

test('on a desktop the photo picker offers no camera', async ({ page }) => {
  await page.goto('/create');
  await expect(page.locator('label.camera')).toBeHidden();
});

test.describe('on a phone', () => {
  test.use({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });

  test('the camera opens straight from the page and its photo is used', async ({ page }) => {
    await page.goto('/create');
    await waitForHydration(page);
    const camera = page.getByText('Take a photo');
    await expect(camera).toBeVisible();
    const input = page.locator('label.camera input[type="file"]');
    await expect(input).toHaveAttribute('capture', 'environment');
    // What the camera hands back arrives as a chosen file.
    await input.setInputFiles(CHELSEA);
    await expect(page.locator('img.preview')).toBeVisible();
    await expect(page.locator('img.preview.cutout')).toBeVisible({ timeout: 60_000 });
    expect(await page.locator('input[name="image"]').evaluate((i: HTMLInputElement) => i.files?.[0]?.name)).toBe(
      'chelsea.png',
    );
  });
});
