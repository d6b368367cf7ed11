// The pixel-art studio on the create page: the photo is cut out at once, the pet is previewed
// in the style the person picks, and the game's hero is drawn in that style.
import { expect, Locator, Page, test } from '@playwright/test';
import { CHELSEA, waitForHydration } from './helpers';

/** The colours (as #rrggbb) of the opaque pixels of a loaded <img>, and how many are clear. */
async function pixels(img: Locator): Promise<{ colours: string[]; clear: number; opaque: number }> {
  await expect.poll(() => img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth > 0)).toBe(true);
  return img.evaluate((el: HTMLImageElement) => {
    const canvas = document.createElement('canvas');
    canvas.width = el.naturalWidth;
    canvas.height = el.naturalHeight;
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(el, 0, 0);
    const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    const colours = new Set<string>();
    let clear = 0;
    let opaque = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3] === 0) clear++;
      if (data[i + 3] === 255) {
        opaque++;
        colours.add('#' + [data[i], data[i + 1], data[i + 2]].map((v) => v.toString(16).padStart(2, '0')).join(''));
      }
    }
    return { colours: [...colours], clear, opaque };
  });
}

async function swatches(button: Locator): Promise<string[]> {
  return button.locator('.swatch').evaluateAll((spans) =>
    spans.map((s) => {
      const [r, g, b] = getComputedStyle(s).backgroundColor.match(/\d+/g)!.map(Number);
      return '#' + [r, g, b].map((v) => v.toString(16).padStart(2, '0')).join('');
    }),
  );
}

async function choosePhoto(page: Page, file: string | { name: string; mimeType: string; buffer: Buffer }) {
  await page.goto('/create');
  await waitForHydration(page);
  await page.locator('input[type="file"][name="image"]').setInputFiles(file);
}

test('the pet is cut out, previewed in the chosen style, and the game uses that style', async ({ page }) => {
  await choosePhoto(page, CHELSEA);
  const cutout = page.locator('label.dropzone img.cutout');
  await expect(cutout).toBeVisible({ timeout: 60_000 });
  const cut = await pixels(cutout);
  expect(cut.clear).toBeGreaterThan(100); // the background is gone
  expect(cut.opaque).toBeGreaterThan(1000); // the pet is not

  const styles = page.locator('.style-picker button.style');
  expect(await styles.count()).toBeGreaterThanOrEqual(6);
  await expect(page.locator('button.style[data-style="classic-16"]')).toHaveAttribute('aria-pressed', 'true');
  await expect(page.locator('.style-preview[data-style="classic-16"] img')).toBeVisible({ timeout: 30_000 });

  const gameBoy = page.locator('button.style[data-style="game-boy"]');
  const greens = await swatches(gameBoy);
  expect(greens).toHaveLength(4);
  await gameBoy.click();
  await expect(gameBoy).toHaveAttribute('aria-pressed', 'true');
  const preview = page.locator('.style-preview[data-style="game-boy"] img');
  await expect(preview).toBeVisible({ timeout: 30_000 });
  const drawn = await pixels(preview);
  expect(drawn.opaque).toBeGreaterThan(100);
  for (const colour of drawn.colours) expect(greens).toContain(colour);

  await page.getByLabel("Pet's name").fill('Chelsea');
  await page.getByLabel('Levels').fill('1');
  await page.getByRole('button', { name: 'Make my game' }).click();
  await expect(page).toHaveURL(/\/games\/[0-9a-f-]{36}$/);
  await expect(page.locator('.status[data-status="ready"]')).toBeVisible({ timeout: 90_000 });
  const hero = await pixels(page.locator('img.sprite'));
  expect(hero.opaque).toBeGreaterThan(50);
  for (const colour of hero.colours) expect(greens).toContain(colour);
});

test('the preview plays the pet moving, in the gait the person picks', async ({ page }) => {
  await choosePhoto(page, CHELSEA);
  const automatic = page.locator('.style-preview[data-style="classic-16"]:not([data-gait]) img');
  await expect(automatic).toBeVisible({ timeout: 60_000 });
  await expectAnimated(automatic);

  const moves = page.getByLabel('How your pet moves');
  await expect(moves).toHaveValue('');
  await moves.selectOption({ label: 'Hops' });
  const hopping = page.locator('.style-preview[data-gait="hop"] img');
  await expect(hopping).toBeVisible({ timeout: 30_000 });
  await expect(hopping).toHaveAttribute('src', /classic-16-48-hop\/preview\.gif$/);
  await expectAnimated(hopping);

  await page.getByLabel("Pet's name").fill('Chelsea');
  await page.getByLabel('Levels').fill('1');
  await page.getByRole('button', { name: 'Make my game' }).click();
  await expect(page).toHaveURL(/\/games\/[0-9a-f-]{36}$/);
  await expect(page.locator('.status[data-status="ready"]')).toBeVisible({ timeout: 90_000 });
});

/** What a person sees changes: the picture on screen is not the same from one moment to the next. */
async function expectAnimated(img: Locator) {
  await expect.poll(() => img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth > 0)).toBe(true);
  const first = await img.screenshot();
  await expect
    .poll(async () => (await img.screenshot()).equals(first), { timeout: 10_000, intervals: [100] })
    .toBe(false);
}

test('a photo with no pet in it is refused in plain words before any game is made', async ({ page }) => {
  await page.goto('/create');
  const sky = await page.evaluate(() => {
    const canvas = document.createElement('canvas');
    canvas.width = 320;
    canvas.height = 240;
    const ctx = canvas.getContext('2d')!;
    ctx.fillStyle = '#78a0c8';
    ctx.fillRect(0, 0, 320, 240);
    return canvas.toDataURL('image/png').split(',')[1];
  });
  await choosePhoto(page, { name: 'sky.png', mimeType: 'image/png', buffer: Buffer.from(sky, 'base64') });
  await expect(page.locator('.photo-error')).toContainText('no pet found', { timeout: 60_000 });
  await page.getByLabel("Pet's name").fill('Nobody');
  await page.getByRole('button', { name: 'Make my game' }).click();
  await expect(page.locator('p.error[role="alert"]').last()).toContainText('Choose another photo');
  await expect(page).toHaveURL(/\/create$/);
});

test('a person crops the photo to the pet and gets a new cut-out from the crop', async ({ page }) => {
  await choosePhoto(page, CHELSEA);
  const cutout = page.locator('label.dropzone img.cutout');
  await expect(cutout).toBeVisible({ timeout: 60_000 });
  const firstSrc = await cutout.getAttribute('src');
  const firstWidth = await cutout.evaluate((img: HTMLImageElement) => img.naturalWidth);

  await page.getByRole('button', { name: 'Crop the photo' }).click();
  const photo = page.locator('.cropper img');
  await expect(photo).toBeVisible();
  await expect(page.getByRole('button', { name: 'Cut out this part' })).toBeDisabled();
  const box = (await photo.boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.2, box.y + box.height * 0.05);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.5, { steps: 5 });
  await page.mouse.move(box.x + box.width * 0.8, box.y + box.height * 0.95, { steps: 5 });
  await page.mouse.up();
  await expect(page.locator('.crop-box')).toBeVisible();
  await page.getByRole('button', { name: 'Cut out this part' }).click();

  await expect(cutout).toBeVisible({ timeout: 60_000 });
  await expect.poll(() => cutout.getAttribute('src'), { timeout: 60_000 }).not.toBe(firstSrc);
  await expect.poll(() => cutout.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBeGreaterThan(0);
  const croppedWidth = await cutout.evaluate((img: HTMLImageElement) => img.naturalWidth);
  // 60 % of the photo's width was kept, so the cut-out of the crop is narrower.
  expect(croppedWidth).toBeLessThan(firstWidth);
  await expect(page.locator('.style-preview img')).toBeVisible({ timeout: 30_000 });
});
