// Signing in through a provider's own page: "Continue with Google" on the log-in page goes to
// the provider (a real OpenID Connect server, oidc-provider-mock), where the person says who
// they are; back here they are signed in, and what they made before is theirs. An address
// the provider vouches for links to the account that has it; a provider linked on the
// account page signs in to that account afterwards.
import { APIRequestContext, expect, Page, request as playwrightRequest, test } from '@playwright/test';
import { makeGame, waitForHydration } from './helpers';

const OIDC = `http://127.0.0.1:${process.env.E2E_OIDC_PORT ?? 3150}`;

/** Tells the provider what it says about `sub` (its email, and whether it is verified). */
async function providerUser(sub: string, claims: Record<string, unknown>) {
  const provider: APIRequestContext = await playwrightRequest.newContext();
  const response = await provider.put(`${OIDC}/users/${encodeURIComponent(sub)}`, { data: claims });
  expect(response.status()).toBe(204);
  await provider.dispose();
}

/** On the provider's page: sign in as `sub`. */
async function authorizeAs(page: Page, sub: string) {
  await expect(page).toHaveURL(new RegExp(`^${OIDC}/oauth2/authorize`));
  await page.locator('input[name="sub"]').fill(sub);
  await page.getByRole('button', { name: 'Authorize' }).click();
}

test('a visitor continues with Google, signs in through its page and keeps their game', async ({ page }) => {
  const game = await makeGame(page.request);
  const sub = `g-${Date.now()}`;
  const email = `${sub}@example.com`;
  await providerUser(sub, { email, email_verified: true, name: 'Alice Example' });

  await page.goto('/login');
  await waitForHydration(page);
  await page.getByRole('link', { name: 'Continue with Google' }).click();
  await authorizeAs(page, sub);

  await expect(page).toHaveURL(/\/my-games$/);
  await waitForHydration(page);
  await expect(page.getByTestId('my-game')).toHaveCount(1);
  await expect(page.getByTestId('my-game').first().getByRole('link', { name: 'Play' })).toHaveAttribute('href', `/g/${game.short_code}`);

  await page.goto('/account');
  await expect(page.getByTestId('account-email')).toHaveText(email);
  await expect(page.getByTestId('email-verified')).toHaveText('Yes');
  await expect(page.getByTestId('sign-in-methods')).toHaveText('Google');
});

test('Google links to the account with its verified address; a refusal is explained', async ({ page, browser }) => {
  const sub = `link-${Date.now()}`;
  const email = `${sub}@example.com`;
  expect((await page.request.post('/api/v1/auth/register', { data: { email, password: 'correct horse battery' } })).status()).toBe(201);

  // The provider does not vouch for the address: no account is handed over on its word.
  await providerUser(sub, { email, email_verified: false });
  const stranger = await (await browser.newContext()).newPage();
  await stranger.goto('/login');
  await waitForHydration(stranger);
  await stranger.getByRole('link', { name: 'Continue with Google' }).click();
  await authorizeAs(stranger, sub);
  await expect(stranger).toHaveURL(/\/login\?error=/);
  await expect(stranger.getByRole('alert')).toContainText('log in with your password, then link Google');

  // Vouched for: it signs in to that account, now linked.
  await providerUser(sub, { email, email_verified: true });
  await stranger.getByRole('link', { name: 'Continue with Google' }).click();
  await authorizeAs(stranger, sub);
  await expect(stranger).toHaveURL(/\/my-games$/);
  await stranger.goto('/account');
  await expect(stranger.getByTestId('account-email')).toHaveText(email);
  await expect(stranger.getByTestId('sign-in-methods')).toHaveText('email and password, Google');
});

test('Facebook is linked from the account page and signs in to that account afterwards', async ({ page, browser }) => {
  const email = `fb.${Date.now()}@example.com`;
  expect((await page.request.post('/api/v1/auth/register', { data: { email, password: 'correct horse battery' } })).status()).toBe(201);
  const sub = `fb-${Date.now()}`;
  await providerUser(sub, { email: `someone.else.${Date.now()}@example.com` });

  await page.goto('/account');
  await waitForHydration(page);
  await page.getByRole('link', { name: 'Link Facebook' }).click();
  await authorizeAs(page, sub);
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByTestId('sign-in-methods')).toHaveText('email and password, Facebook');

  const phone = await (await browser.newContext()).newPage();
  await phone.goto('/login');
  await waitForHydration(phone);
  await phone.getByRole('link', { name: 'Continue with Facebook' }).click();
  await authorizeAs(phone, sub);
  await expect(phone).toHaveURL(/\/my-games$/);
  await phone.goto('/account');
  await expect(phone.getByTestId('account-email')).toHaveText(email);
});
