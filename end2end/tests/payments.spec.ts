// Paying, as a person does it, against localstripe (a real Stripe-compatible server with a
// stand-in Stripe.js; playwright.config.ts starts it and a server with Stripe keys): a premium
// game bought through the checkout with a test card (3-D Secure included) and made once Stripe
// says it is paid; the receipt; a monthly subscription and its credits; cancelling it. The
// other server (payments off) says every package is free.
import { Browser, expect, Page, test } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';
import { CHELSEA, grantRole, signUp, waitForHydration } from './helpers';

const PAYMENTS = `http://127.0.0.1:${process.env.E2E_PAYMENTS_PORT}`;
const STRIPE = `http://127.0.0.1:${process.env.E2E_STRIPE_PORT}`;

test.use({ baseURL: PAYMENTS });

test.beforeAll(async ({ request }) => {
  // localstripe delivers its events to the payments server's webhook, signed with its secret.
  const hook = await request.post(`${STRIPE}/_config/webhooks/e2e`, {
    form: { url: `${PAYMENTS}/api/v1/payments/webhook`, secret: 'whsec_petpixel_e2e' },
  });
  expect(hook.ok()).toBe(true);
});

/** A new account made an admin, in its own page. */
async function adminPage(browser: Browser): Promise<Page> {
  const page = await browser.newPage({ baseURL: PAYMENTS });
  const email = await signUp(page, 'e2e.pay');
  grantRole(email, 'admin', path.join(process.env.TMPDIR ?? '/tmp', `petpixel-e2e-${process.env.E2E_PAYMENTS_PORT}`));
  return page;
}

/** Types a test card into the stand-in card Element (16 digits, a 2-digit year). */
async function typeCard(page: Page, number: string) {
  const field = page.locator('#card-element');
  await field.locator('input[placeholder="number"]').fill(number);
  await field.locator('input[placeholder="exp_month"]').fill('12');
  await field.locator('input[placeholder="exp_year"]').fill('34');
  await field.locator('input[placeholder="cvc"]').fill('123');
  await field.locator('input[placeholder="postal_code"]').fill('10001');
}

test('a premium game is bought at checkout, made once Stripe says it is paid, and refunded by an admin', async ({ page, browser }) => {
  await signUp(page, 'e2e.pay');
  await page.goto('/create');
  await waitForHydration(page);
  await page.locator('input[type="file"][name="image"]').setInputFiles(CHELSEA);
  await expect(page.locator('label.dropzone img.cutout')).toBeVisible({ timeout: 60_000 });
  await page.getByLabel("Pet's name").fill('Chelsea');
  await page.getByLabel('Levels').fill('8');
  // Prices show; free is the default, premium is chosen.
  const premium = page.locator('.package[data-package="premium"]');
  await expect(premium).toContainText('$9.99');
  await premium.locator('input').check();
  await page.getByRole('button', { name: 'Make my game' }).click();

  await expect(page).toHaveURL(/\/games\/[0-9a-f-]{36}$/);
  await waitForHydration(page);
  await expect(page.locator('.status[data-status="awaiting_payment"]')).toHaveText('Waiting for payment');
  const checkout = page.getByTestId('checkout');
  await checkout.getByLabel(/Pay for the Premium package in/).selectOption('jpy');
  await checkout.getByTestId('start-payment').click();
  await expect(page.locator('#card-element input[placeholder="number"]')).toBeVisible();
  // A card that needs 3-D Secure: the bank's challenge appears and is passed.
  await typeCard(page, '4000002760003184');
  await checkout.getByRole('button', { name: 'Pay ¥1500' }).click();
  await page.getByRole('button', { name: 'Complete authentication' }).click();
  await page.getByRole('button', { name: 'Complete authentication' }).click();
  await expect(checkout.getByTestId('paid')).toBeVisible({ timeout: 30_000 });
  // The webhook arrives and the game is made.
  await expect(page.locator('.status[data-status="ready"]')).toBeVisible({ timeout: 120_000 });
  await expect(page.getByRole('link', { name: 'Download (plays offline)' })).toBeVisible();
  // Premium's 64-px hero, animated, with its sheet to keep.
  const hires = page.getByTestId('hires');
  await expect(hires.locator('img')).toHaveJSProperty('complete', true);
  expect(await hires.locator('img').evaluate((img: HTMLImageElement) => img.naturalHeight)).toBeGreaterThanOrEqual(64);
  const sheet = hires.getByRole('link', { name: 'Download the sheet' });
  await expect(sheet).toHaveAttribute('download', /-64px-sheet\.png$/);
  expect((await page.request.get((await sheet.getAttribute('href'))!)).headers()['content-type']).toBe('image/png');

  await page.goto('/account/payments');
  await waitForHydration(page);
  const receipt = page.getByTestId('receipt').first();
  await expect(receipt).toHaveAttribute('data-status', 'paid');
  await expect(receipt).toContainText('Premium');
  await expect(receipt).toContainText('¥1500');
  const reference = (await receipt.locator('code').textContent())!.trim();
  expect(reference).toMatch(/^pi_/);

  // Support refunds it: an admin finds the order by the receipt's reference, gives back part,
  // then the rest.
  const admin = await adminPage(browser);
  await admin.goto('/account');
  await admin.getByRole('link', { name: 'Refund payments (admin)' }).click();
  await expect(admin).toHaveURL(/\/admin\/payments$/);
  await waitForHydration(admin);
  await admin.getByLabel('Order id or Stripe reference').fill(reference);
  await admin.getByRole('button', { name: 'Find' }).click();
  const order = admin.getByTestId('order');
  await expect(order).toHaveCount(1);
  await expect(order).toContainText(reference);
  await order.getByLabel('Amount').fill('¥2000');
  await order.getByLabel('Reason').fill('The pet looked sad in level 3');
  await order.getByRole('button', { name: 'Refund' }).click();
  await expect(order.getByRole('alert')).toContainText('refund between ¥1 and ¥1500');
  await order.getByLabel('Amount').fill('500');
  await order.getByRole('button', { name: 'Refund' }).click();
  await expect(order).toHaveAttribute('data-status', 'partially_refunded');
  await expect(order).toContainText('¥1500 (¥500 refunded)');
  // The buyer's payments page, still open, follows the account's payments as they change.
  await expect(receipt).toHaveAttribute('data-status', 'partially_refunded');
  await expect(receipt).toContainText('¥1500 (¥500 refunded)');
  await order.getByRole('button', { name: 'Refund' }).click();
  await expect(order).toHaveAttribute('data-status', 'refunded');
  await expect(order.getByRole('button', { name: 'Refund' })).toHaveCount(0);
  await admin.close();

  // The buyer sees it on their receipt as it happens; a buyer cannot open the admin page.
  await expect(receipt).toHaveAttribute('data-status', 'refunded');
  await expect(receipt).toContainText('¥1500 refunded');
  await page.goto('/admin/payments');
  await expect(page.getByRole('alert')).toHaveText('Only admins can refund payments.');
});

test('a declined card says why and another card pays', async ({ page }) => {
  await signUp(page, 'e2e.pay');
  const upload = await page.request.post('/api/v1/images/upload', {
    multipart: { image: { name: 'chelsea.png', mimeType: 'image/png', buffer: require('fs').readFileSync(CHELSEA) } },
  });
  const image = await upload.json();
  const created = await page.request.post('/api/v1/games', {
    data: { image_id: image.id, pet_name: 'Chelsea', theme: 'park', difficulty: 'easy', level_count: 2, package: 'basic' },
  });
  expect(created.status()).toBe(202);
  const game = await created.json();
  expect(game.status).toBe('awaiting_payment');
  await page.goto(`/games/${game.id}`);
  await waitForHydration(page);
  const checkout = page.getByTestId('checkout');
  await checkout.getByTestId('start-payment').click();
  await typeCard(page, '4000000000000341');
  await checkout.getByRole('button', { name: 'Pay $4.99' }).click();
  await expect(checkout.getByRole('alert')).toContainText('declined');
  await typeCard(page, '4242424242424242');
  await checkout.getByRole('button', { name: 'Pay $4.99' }).click();
  await expect(checkout.getByTestId('paid')).toBeVisible({ timeout: 30_000 });
  await expect(page.locator('.status[data-status="ready"]')).toBeVisible({ timeout: 120_000 });
});

test('a subscription brings monthly credits and can be cancelled', async ({ page }) => {
  await signUp(page, 'e2e.pay');
  await page.goto('/account/payments');
  await waitForHydration(page);
  await expect(page.getByTestId('subscription-status')).toHaveText('No subscription.');
  await page.getByLabel('Price').selectOption('eur');
  await page.getByTestId('start-subscription').click();
  await typeCard(page, '4242424242424242');
  await page.getByTestId('confirm-subscription').click();
  await expect(page.getByTestId('subscription-status')).toContainText('€14.99 a month — active', { timeout: 60_000 });
  await expect(page.getByTestId('credits')).toHaveText('Premium games left this month: 5');
  await expect(page.getByTestId('receipt').first()).toContainText('Monthly subscription');

  await page.getByTestId('cancel-subscription').click();
  await expect(page.getByTestId('subscription-status')).toContainText('canceled');
});

test.describe('on a phone', () => {
  test.use({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });

  test('a free game is kept for good with the Basic package', async ({ page }) => {
    await signUp(page, 'e2e.pay');
    const upload = await page.request.post('/api/v1/images/upload', {
      multipart: { image: { name: 'chelsea.png', mimeType: 'image/png', buffer: fs.readFileSync(CHELSEA) } },
    });
    const image = await upload.json();
    const created = await page.request.post('/api/v1/games', {
      data: { image_id: image.id, pet_name: 'Chelsea', theme: 'park', difficulty: 'easy', level_count: 1, style: 'game-boy', package: 'free' },
    });
    expect(created.status()).toBe(202);
    const game = await created.json();
    await page.goto(`/games/${game.id}`);
    await expect(page.locator('.status[data-status="ready"]')).toBeVisible({ timeout: 120_000 });
    await waitForHydration(page);
    // Free games play for 30 days and do not download.
    const keep = page.getByTestId('keep-game');
    await expect(keep).toContainText('A free game plays until');
    await expect(page.getByRole('link', { name: 'Download (plays offline)' })).toHaveCount(0);
    await keep.getByRole('button', { name: 'Keep this game' }).tap();
    const checkout = page.getByTestId('checkout');
    await checkout.getByTestId('start-payment').tap();
    await typeCard(page, '4242424242424242');
    await checkout.getByRole('button', { name: 'Pay $4.99' }).tap();
    await expect(checkout.getByTestId('paid')).toBeVisible({ timeout: 30_000 });
    // Stripe's webhook makes it Basic: the page is drawn again with the download.
    await expect(page.getByRole('link', { name: 'Download (plays offline)' })).toBeVisible({ timeout: 60_000 });
    await expect(page.getByTestId('keep-game')).toHaveCount(0);
    await page.goto('/account/payments');
    await expect(page.getByTestId('receipt').first()).toContainText('Basic');
    await expect(page.getByTestId('receipt').first()).toHaveAttribute('data-status', 'paid');
  });
});

test('with payments off every package is free, and the page says so', async ({ page }) => {
  await page.goto(`http://127.0.0.1:${process.env.E2E_PORT ?? 3100}/create`);
  await waitForHydration(page);
  await expect(page.getByTestId('payments-off')).toHaveText('Payments are off on this site: every package is free.');
  await expect(page.locator('.package[data-package="premium"] input')).toBeChecked();
  await expect(page.locator('.package[data-package="premium"]')).toContainText('Free');
});
