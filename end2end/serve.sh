#!/usr/bin/env bash
# Starts the built server for the Playwright suite on port $1 with a throwaway data directory
# (or the one named by $2, kept).
set -euo pipefail
cd "$(dirname "$0")/.."
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
if [ -n "${2:-}" ]; then
  # A data folder of the caller's, kept: a test that restarts the server (visitors.spec.ts).
  data="$2"
  mkdir -p "$data"
else
  # Named by port, so tests can read what the server keeps (the email outbox): helpers.ts.
  data="${TMPDIR:-/tmp}/petpixel-e2e-$1"
  rm -rf "$data" && mkdir -p "$data"
  trap 'rm -rf "$data"' EXIT
fi
# The push test stands in for the browser's push service on this machine (push.spec.ts), so
# pushes may go to 127.0.0.1 over plain http here; the product's default allows only the real
# push services, over https.
export PETPIXEL__PUSH__ALLOWED_HOSTS='["127.0.0.1"]' PETPIXEL__PUSH__ALLOW_HTTP=true \
  PETPIXEL__PUSH__ALLOW_PRIVATE_ADDRESSES=true
# Every test's browser is 127.0.0.1: the per-address limits (10 photos an hour, 100 API calls a
# minute, 30 logins in 15 minutes, 20 games a day, ...) would count the whole suite as one person. The server's
# tests cover the limits.
export PETPIXEL__LIMITS__UPLOADS_PER_HOUR=1000 PETPIXEL__LIMITS__API_PER_MINUTE=1000000 \
  PETPIXEL__LIMITS__LOGINS_PER_ADDRESS=1000000 PETPIXEL__LIMITS__MAILS_PER_ADDRESS=1000000 \
  PETPIXEL__LIMITS__GAMES_PER_DAY=1000000 PETPIXEL__LIMITS__REGENERATIONS_PER_DAY=1000000 \
  PETPIXEL__LIMITS__STUDIO_JOBS_PER_HOUR=1000000 PETPIXEL__LIMITS__PLAYS_PER_HOUR=1000000 \
  PETPIXEL__LIMITS__EVENTS_PER_HOUR=1000000 PETPIXEL__LIMITS__CODE_MISSES_PER_HOUR=1000000
# Google and Facebook are the suite's OpenID Connect provider (playwright.config.ts starts it).
oidc="http://127.0.0.1:${E2E_OIDC_PORT:-$(($1 + 50))}"
export PETPIXEL__AUTH__GOOGLE__ISSUER="$oidc" PETPIXEL__AUTH__GOOGLE__CLIENT_ID=petpixel-e2e \
  PETPIXEL__AUTH__GOOGLE__CLIENT_SECRET=e2e-secret \
  PETPIXEL__AUTH__FACEBOOK__ISSUER="$oidc" PETPIXEL__AUTH__FACEBOOK__CLIENT_ID=petpixel-e2e \
  PETPIXEL__AUTH__FACEBOOK__CLIENT_SECRET=e2e-secret
# The payments server (playwright.config.ts): Stripe keys, localstripe's API through the
# fix-up proxy, and its stand-in Stripe.js for the browser.
if [ -n "${E2E_WITH_PAYMENTS:-}" ]; then
  stripe="${E2E_STRIPE_PORT:?the localstripe port}"
  export STRIPE_SECRET_KEY=sk_test_petpixel_e2e STRIPE_PUBLISHABLE_KEY=pk_test_petpixel_e2e \
    STRIPE_WEBHOOK_SECRET=whsec_petpixel_e2e \
    PETPIXEL__PAYMENTS__API_BASE="http://127.0.0.1:$((stripe + 1))/" \
    PETPIXEL__PAYMENTS__STRIPE_JS="http://127.0.0.1:$stripe/js.stripe.com/v3/"
fi
export PETPIXEL_DATA_DIR="$data" LEPTOS_SITE_ADDR="127.0.0.1:$1" RUST_LOG="${RUST_LOG:-warn}"
if [ -n "${2:-}" ]; then
  # This process becomes the server: a caller that stops it and waits for it to exit knows
  # the port is free (bash would exit at once and leave the server draining on the port).
  exec "$target_dir/release/petpixel" serve
fi
"$target_dir/release/petpixel" serve
