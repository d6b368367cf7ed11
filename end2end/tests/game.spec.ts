// Playing a made game as a player would: the level's stored proof replays to the
// level-complete screen, the pet runs in its run cycle, pause, the sound switch is
// remembered, touch controls on a phone, new levels for the same pet, and the frame rate and
// first-frame time.
import { expect, Page, test } from '@playwright/test';
import { gameReady, gameState, makeGame, waitForHydration } from './helpers';

let code = '';

test.beforeAll(async ({ request }) => {
  code = (await makeGame(request, 'beach', 2)).short_code;
});

async function hook<T>(page: Page, body: string): Promise<T> {
  return page.evaluate(`(window.__petpixel.${body})`) as Promise<T>;
}

test('the stored playthrough of level 1 replays to the level-complete screen', async ({ page }) => {
  await page.goto(`/embed/${code}`);
  const start = await gameReady(page);
  expect(start).toMatchObject({ state: 'title', levels: 2 });
  expect(await hook<boolean>(page, 'replay(0)')).toBe(true);
  await expect.poll(async () => (await gameState(page)).replaying).toBe(true);
  await expect.poll(async () => (await gameState(page)).state, { timeout: 90_000 }).toBe('level_complete');
  const done = await gameState(page);
  expect(done.level).toBe(0);
  expect(done.lives).toBe(3);
  expect(done.x).toBeGreaterThan(start.x + 500);
});

test('P pauses the game and freezes the pet until pressed again', async ({ page }) => {
  await page.goto(`/embed/${code}`);
  await gameReady(page);
  await page.keyboard.press('Space');
  await expect.poll(async () => (await gameState(page)).state).toBe('playing');
  await page.keyboard.press('p');
  await expect.poll(async () => (await gameState(page)).state).toBe('paused');
  const frozen = await gameState(page);
  await page.keyboard.down('ArrowRight');
  await page.waitForTimeout(500);
  await page.keyboard.up('ArrowRight');
  expect((await gameState(page)).x).toBe(frozen.x);
  await page.keyboard.press('p');
  await expect.poll(async () => (await gameState(page)).state).toBe('playing');
  await page.keyboard.down('ArrowRight');
  await expect.poll(async () => (await gameState(page)).x).toBeGreaterThan(frozen.x);
  await page.keyboard.up('ArrowRight');
});

test('held right, the pet runs, its run cycle drawn frame after frame', async ({ page }) => {
  await page.goto(`/embed/${code}`);
  await gameReady(page);
  await page.keyboard.press('Space');
  await expect.poll(async () => (await gameState(page)).animation).toBe('idle');
  await page.keyboard.down('ArrowRight');
  await expect.poll(async () => (await gameState(page)).animation).toBe('run');
  // Watched on every animation frame the page draws (a poll's interval could fall in step
  // with the cycle and see one frame): at least three of the run's frames come by.
  const runFrames = await page.evaluate(
    () =>
      new Promise<number[]>((resolve) => {
        const seen = new Set<number>();
        let ticks = 0;
        const look = () => {
          const s = (window as any).__petpixel.state();
          if (s.animation === 'run') seen.add(s.frame);
          if (seen.size >= 3 || ++ticks > 600) resolve([...seen]);
          else requestAnimationFrame(look);
        };
        requestAnimationFrame(look);
      }),
  );
  await page.keyboard.up('ArrowRight');
  expect(runFrames.length).toBeGreaterThanOrEqual(3);
  await expect.poll(async () => (await gameState(page)).animation).toBe('idle');
});

test('the sound switch is remembered on the next visit', async ({ page }) => {
  await page.goto(`/embed/${code}`);
  await gameReady(page);
  // A keyboard's player is told which keys to press.
  expect(await hook<string>(page, 'controls()')).toBe('keys');
  const sound = page.getByRole('button', { name: 'Sound' });
  await expect(sound).toHaveAttribute('aria-pressed', 'false');
  // Its icon is drawn, not a character a font may lack (an empty box in Debian's Chromium).
  await expect(sound.locator('svg')).toHaveCount(1);
  await expect(sound).toHaveText('');
  await sound.click();
  await expect(sound).toHaveAttribute('aria-pressed', 'true');
  await page.reload();
  await gameReady(page);
  await expect(page.getByRole('button', { name: 'Sound' })).toHaveAttribute('aria-pressed', 'true');
  await page.keyboard.press('m');
  await expect(page.getByRole('button', { name: 'Sound' })).toHaveAttribute('aria-pressed', 'false');
});

test('the frame rate and first-frame time are reported', async ({ page }) => {
  await page.goto(`/embed/${code}`);
  await gameReady(page);
  const before = await hook<number>(page, 'frames');
  await page.waitForTimeout(2000);
  const frames = (await hook<number>(page, 'frames')) - before;
  const firstFrame = await page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
    return (window as any).__petpixel.firstFrameMs - nav.responseEnd;
  });
  const figures = `fps ${(frames / 2).toFixed(1)}, first frame ${firstFrame.toFixed(0)} ms after the page arrived`;
  console.log(`game figures: ${figures}`);
  test.info().annotations.push({ type: 'figures', description: figures });
  expect(frames).toBeGreaterThan(0);
});

test('a gamepad plays: Start begins, the d-pad runs, A jumps', async ({ page }) => {
  // No gamepad is plugged into the test machine: the page sees one through the standard
  // API, driven from the test.
  await page.addInitScript(() => {
    const pad = {
      id: 'test pad', index: 0, connected: true, mapping: 'standard', axes: [0, 0, 0, 0],
      buttons: Array.from({ length: 17 }, () => ({ pressed: false, touched: false, value: 0 })),
    };
    (window as any).__pad = (index: number, pressed: boolean) => { pad.buttons[index].pressed = pressed; };
    Object.defineProperty(navigator, 'getGamepads', { value: () => [pad] });
  });
  await page.goto(`/embed/${code}`);
  await gameReady(page);
  const press = (button: number, pressed: boolean) => page.evaluate(([b, p]) => (window as any).__pad(b, p), [button, pressed] as const);
  await press(9, true);
  await expect.poll(async () => (await gameState(page)).state).toBe('playing');
  await press(9, false);
  const start = await gameState(page);
  await press(15, true);
  await expect.poll(async () => (await gameState(page)).x).toBeGreaterThan(start.x + 16);
  await press(15, false);
  const ground = (await gameState(page)).y;
  await press(0, true);
  await expect.poll(async () => (await gameState(page)).y).toBeLessThan(ground - 8);
  await press(0, false);
});

test.describe('on a phone', () => {
  test.use({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });

  test('touch controls appear, start the game and move the pet', async ({ page }) => {
    await page.goto(`/embed/${code}`);
    await gameReady(page);
    // The screens say "tap", not "press space".
    expect(await hook<string>(page, 'controls()')).toBe('touch');
    for (const name of ['Move left', 'Move right', 'Jump', 'Pause', 'Sound', 'Full screen']) {
      const button = page.getByRole('button', { name });
      await expect(button).toBeVisible();
      // Drawn icons: nothing a font has to supply.
      await expect(button.locator('svg')).toHaveCount(1);
      await expect(button).toHaveText('');
    }
    // A tap on the picture starts the game.
    await page.locator('canvas').tap();
    await expect.poll(async () => (await gameState(page)).state).toBe('playing');
    const start = await gameState(page);

    // Hold "Move right" with a real touch for a moment.
    const box = (await page.getByRole('button', { name: 'Move right' }).boundingBox())!;
    const cdp = await page.context().newCDPSession(page);
    const point = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [point] });
    await expect.poll(async () => (await gameState(page)).x).toBeGreaterThan(start.x + 16);
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  });

  test('the game goes full screen and back', async ({ page }) => {
    await page.goto(`/embed/${code}`);
    await gameReady(page);
    const full = page.getByRole('button', { name: 'Full screen' });
    await expect(full).toHaveAttribute('aria-pressed', 'false');
    await full.tap();
    await expect.poll(() => page.evaluate(() => document.fullscreenElement !== null)).toBe(true);
    await expect(full).toHaveAttribute('aria-pressed', 'true');
    await full.tap();
    await expect.poll(() => page.evaluate(() => document.fullscreenElement !== null)).toBe(false);
    await expect(full).toHaveAttribute('aria-pressed', 'false');
  });

  test('held sideways, the picture fills the height with the buttons beside it', async ({ page }) => {
    await page.setViewportSize({ width: 844, height: 390 });
    await page.goto(`/embed/${code}`);
    await gameReady(page);
    const picture = (await page.locator('canvas').boundingBox())!;
    // Larger than its 400×224 pixels, not a small box.
    expect(picture.width).toBeGreaterThan(450);
    for (const name of ['Move left', 'Move right', 'Jump']) {
      const button = (await page.getByRole('button', { name }).boundingBox())!;
      const overlaps = button.x < picture.x + picture.width && button.x + button.width > picture.x
        && button.y < picture.y + picture.height && button.y + button.height > picture.y;
      expect(overlaps, `${name} covers the picture`).toBe(false);
    }
  });
});

test('the owner gets new levels for the same pet', async ({ page }) => {
  // Made with the page's own cookies, so the page is the owner.
  const game = await makeGame(page.request, 'park');
  const module = async () => (await page.request.get(`/api/v1/play/${game.short_code}/game.wasm`)).headers()['etag'];
  const before = await module();
  await page.goto(`/games/${game.id}`);
  await waitForHydration(page);
  await expect(page.locator('.status')).toHaveAttribute('data-status', 'ready');
  await page.getByRole('button', { name: 'New levels' }).click();
  await expect(page.locator('.status')).toHaveAttribute('data-status', 'ready', { timeout: 90_000 });
  await expect.poll(module, { timeout: 30_000 }).not.toBe(before);
  const frame = (await (await page.locator('iframe.game-frame').elementHandle())!.contentFrame())!;
  expect((await gameReady(frame)).state).toBe('title');
});
