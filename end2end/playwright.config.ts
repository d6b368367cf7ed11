// Playwright drives Debian's Chromium (no browser download) against the release server,
// started fresh on its embedded defaults with an empty data directory.
import { defineConfig } from '@playwright/test';

const port = Number(process.env.E2E_PORT ?? 3100);
// A real OpenID Connect provider with its own sign-in form (oidc-provider-mock, from PyPI): the
// server signs in through it as "Google" and as "Facebook" (serve.sh). Port + 1 is taken by
// the restart test's own server (visitors.spec.ts).
const oidcPort = Number(process.env.E2E_OIDC_PORT ?? port + 50);
process.env.E2E_OIDC_PORT = String(oidcPort);

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
      command: `bash ${__dirname}/serve.sh ${port}`,
      url: `http://127.0.0.1:${port}/health`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
  ],
});
