// Playwright drives Debian's Chromium (no browser download) against the release server,
// started fresh on its embedded defaults with an empty data directory.
import { defineConfig } from '@playwright/test';

const port = Number(process.env.E2E_PORT ?? 3100);
// A real OpenID Connect provider with its own sign-in form (oidc-provider-mock, from PyPI): the
// server signs in through it as "Google" and as "Facebook" (serve.sh). Port + 1 is taken by
// the restart test's own server (visitors.spec.ts).
const oidcPort = Number(process.env.E2E_OIDC_PORT ?? port + 50);
process.env.E2E_OIDC_PORT = String(oidcPort);
// Payments: a second server (port + 2) with Stripe keys, against localstripe (PyPI; port +
// 60), a real Stripe-compatible server that also serves a stand-in Stripe.js, behind the
// fix-up proxy the server's tests use (port + 61). The first server keeps payments off.
const stripePort = Number(process.env.E2E_STRIPE_PORT ?? port + 60);
process.env.E2E_STRIPE_PORT = String(stripePort);
process.env.E2E_PAYMENTS_PORT = String(port + 2);

export default defineConfig({
  testDir: './tests',
  outputDir: './test-results',
  timeout: 120_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
        '--disable-sync', '--no-first-run', '--disable-quic',
      ],
    },
  },
  webServer: [
    {
      command: `${__dirname}/../.venv/bin/oidc-provider-mock --port ${oidcPort}`,
      url: `http://127.0.0.1:${oidcPort}/.well-known/openid-configuration`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'ignore',
      stderr: 'ignore',
    },
    {
      command: `${__dirname}/../.venv/bin/localstripe --port ${stripePort} --from-scratch`,
      url: `http://127.0.0.1:${stripePort}/js.stripe.com/v3/`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'ignore',
      stderr: 'ignore',
    },
    {
      command: `${__dirname}/../.venv/bin/python ${__dirname}/../scripts/stripe-fixup-proxy.py ${stripePort + 1} http://127.0.0.1:${stripePort}`,
      url: `http://127.0.0.1:${stripePort + 1}/js.stripe.com/v3/`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'ignore',
      stderr: 'ignore',
    },
    {
      command: `E2E_WITH_PAYMENTS=1 bash ${__dirname}/serve.sh ${port + 2}`,
      url: `http://127.0.0.1:${port + 2}/health`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
    {
      command: `bash ${__dirname}/serve.sh ${port}`,
      url: `http://127.0.0.1:${port}/health`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
  ],
});
