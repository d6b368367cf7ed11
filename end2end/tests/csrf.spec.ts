// The cross-site attack the design review found: a page on another site submits a form with a
// photo to our upload. SameSite=Lax keeps the victim's cookie off that POST, so before the
// guard the upload made a fresh visitor and its Set-Cookie replaced the victim's: everything
// they made was lost to them. Now the request is refused before any session is touched.
import { expect, test } from '@playwright/test';
import * as fs from 'fs';
import { CHELSEA, makeGame, waitForHydration } from './helpers';

test('a cross-site form post cannot replace the visitor\'s session', async ({ page, baseURL }) => {
  const game = await makeGame(page.request);
  const before = (await page.context().cookies()).find((c) => c.name === 'petpixel_session');
  expect(before).toBeDefined();

  // The attacker's page, on a site of its own, builds a file from bytes and submits it.
  const photo = fs.readFileSync(CHELSEA).toString('base64');
  await page.route('http://attacker.test/**', (route) => route.fulfill({
    contentType: 'text/html',
    body: `<!doctype html><form id="f" method="post" enctype="multipart/form-data"
        action="${baseURL}/api/v1/images/upload"><input type="file" name="image"></form>
      <script>
        const bytes = Uint8Array.from(atob('${photo}'), (c) => c.charCodeAt(0));
        const files = new DataTransfer();
        files.items.add(new File([bytes], 'pet.png', { type: 'image/png' }));
        document.querySelector('input').files = files.files;
      </script>`,
  }));
  await page.goto('http://attacker.test/');
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/api/v1/images/upload')),
    page.evaluate(() => (document.getElementById('f') as HTMLFormElement).submit()),
  ]);
  await page.waitForURL(/\/api\/v1\/images\/upload$/);
  expect(response.status()).toBe(403);
  expect(await response.headerValue('set-cookie')).toBeNull();

  // The visitor's cookie and their game are untouched.
  const after = (await page.context().cookies()).find((c) => c.name === 'petpixel_session');
  expect(after?.value).toBe(before!.value);
  await page.goto('/my-games');
  await waitForHydration(page);
  await expect(page.getByTestId('my-game')).toHaveCount(1);
  await expect(page.getByTestId('my-game').getByRole('link', { name: 'Play' })).toHaveAttribute('href', `/g/${game.short_code}`);
});
