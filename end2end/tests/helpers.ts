// Shared steps: waiting for hydration, making a game through the REST API, reading the game.
import { APIRequestContext, expect, Frame, Page } from '@playwright/test';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export const CHELSEA = path.join(__dirname, '..', '..', 'ml', 'testdata', 'chelsea.png');

/** The data folder of the server under test (`end2end/serve.sh`). */
export const DATA_DIR = path.join(process.env.TMPDIR ?? '/tmp', `petpixel-e2e-${process.env.E2E_PORT ?? 3100}`);

/** Clicks before hydration are lost: the app marks <body> once it is live. */
export async function waitForHydration(page: Page) {
  await expect(page.locator('body[data-hydrated="true"]')).toHaveCount(1);
}

/** Uploads the shipped photo and makes a game with it; resolves when it is ready. */
export async function makeGame(request: APIRequestContext, theme = 'garden', levels = 1): Promise<{ id: string; short_code: string }> {
  const upload = await request.post('/api/v1/images/upload', {
    multipart: { image: { name: 'chelsea.png', mimeType: 'image/png', buffer: fs.readFileSync(CHELSEA) } },
  });
  expect(upload.status()).toBe(201);
  const image = await upload.json();
  const created = await request.post('/api/v1/games', {
    data: { image_id: image.id, pet_name: 'Chelsea', theme, difficulty: 'easy', level_count: levels },
  });
  expect(created.status()).toBe(202);
  const game = await created.json();
  await expect
    .poll(async () => (await (await request.get(`/api/v1/games/${game.id}`)).json()).status, { timeout: 90_000 })
    .toBe('ready');
  return game;
}

export type GameState = {
  state: string; x: number; y: number; level: number; levels: number;
  score: number; treats: number; lives: number; replaying: boolean;
  /** The sprite sheet's animation the pet is drawn in, and the sheet's frame drawn. */
  animation: string; frame: number;
};

/** Waits until the game in `frame` has drawn its first frame, then returns its state. */
export async function gameReady(frame: Frame | Page): Promise<GameState> {
  await frame.waitForFunction(() => (window as any).__petpixel?.ready === true, null, { timeout: 30_000 });
  return frame.evaluate(() => (window as any).__petpixel.state());
}

export async function gameState(frame: Frame | Page): Promise<GameState> {
  return frame.evaluate(() => (window as any).__petpixel.state());
}

/** How many distinct colours the game canvas shows: a blank canvas has one. */
export async function canvasColours(frame: Frame | Page): Promise<number> {
  return frame.evaluate(() => {
    const canvas = document.querySelector('canvas') as HTMLCanvasElement;
    const ctx = canvas.getContext('2d')!;
    const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    const seen = new Set<number>();
    for (let i = 0; i < data.length; i += 16) seen.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
    return seen.size;
  });
}

/** The messages to `to` in the server's outbox folder (the embedded default's mail). */
export function mailsTo(to: string): string[] {
  const outbox = path.join(DATA_DIR, 'outbox');
  if (!fs.existsSync(outbox)) return [];
  return fs
    .readdirSync(outbox)
    .map((f) => fs.readFileSync(path.join(outbox, f), 'utf8'))
    .filter((m) => m.includes(`To: ${to}\r\n`));
}

/** Waits for a message to `to` whose subject contains `subject`; returns the path and query of
 *  the link to `page` in it, to open as the recipient would. */
export async function emailedLink(to: string, subject: string, page: string): Promise<string> {
  let found: string | undefined;
  await expect
    .poll(() => {
      const raw = mailsTo(to).find((m) => m.includes(`Subject: ${subject}`));
      // Quoted-printable, as mail readers decode it: soft line breaks joined, =XX decoded.
      const mail = raw?.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
      const match = mail?.match(new RegExp(`https?://[^/\\s]+(${page}\\?token=[A-Za-z0-9_-]+)`));
      found = match?.[1];
      return found !== undefined;
    }, { timeout: 20_000 })
    .toBe(true);
  return found!;
}

/** Gives the account `email` a role the way an operator does: `petpixel admin grant`, run
 * against a test server's data folder (serve.sh). */
export function grantRole(email: string, role: 'moderator' | 'admin', dataDir = DATA_DIR) {
  const target = process.env.CARGO_TARGET_DIR ?? path.join(__dirname, '..', '..', 'target');
  const binary = path.join(target, 'release', 'petpixel');
  expect(fs.existsSync(binary)).toBe(true);
  const said = execFileSync(binary, ['admin', 'grant', email, role], {
    env: { ...process.env, PETPIXEL_DATA_DIR: dataDir, RUST_LOG: 'warn' },
  }).toString();
  expect(said).toContain(`is now ${role}`);
}

/** Signs up a new account in `page` (the password is `correct horse battery`): its address. */
export async function signUp(page: Page, prefix = 'e2e'): Promise<string> {
  const email = `${prefix}.${Date.now()}.${Math.floor(Math.random() * 1e6)}@example.com`;
  await page.goto('/signup');
  await waitForHydration(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Sign up' }).click();
  await expect(page).toHaveURL(/\/my-games$/);
  return email;
}
