#!/usr/bin/env bash
#! Runs every test: formatting and lints, the Rust unit/integration/conformance suites
#! (SQLite always; PostgreSQL, Redis and S3 when TEST_DATABASE_URL / TEST_REDIS_URL are set —
#! an S3 server, moto, is started here), then the Playwright suite in Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
log() { printf '\033[1;34m[test]\033[0m %s\n' "$*"; }

./scripts/install-tools.sh
./scripts/build.sh

log "cargo fmt --check"
cargo fmt --all -- --check
# The frontend is checked on its own target: in one invocation with the server, cargo would
# unify `app`'s `hydrate` and `ssr` features and build a server with browser behaviour.
log "cargo clippy"
cargo clippy -q --locked --release --workspace --exclude frontend --all-targets -- -D warnings
cargo clippy -q --locked -p frontend --target wasm32-unknown-unknown --profile wasm-release -- -D warnings
# A web-only build leaves the image models (and Burn) out: it must keep compiling.
cargo clippy -q --locked --release -p server --no-default-features --all-targets -- -D warnings

# A real S3 server on a free port, for the blob conformance and scale-out tests.
s3_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
.venv/bin/moto_server -H 127.0.0.1 -p "$s3_port" >"${TMPDIR:-/tmp}/petpixel-moto.log" 2>&1 &
moto_pid=$!
trap 'kill $moto_pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -fsS -o /dev/null "http://127.0.0.1:$s3_port/" 2>/dev/null && break
  kill -0 $moto_pid 2>/dev/null || { log "moto_server died:"; cat "${TMPDIR:-/tmp}/petpixel-moto.log"; exit 1; }
  sleep 0.1
done
export TEST_S3_ENDPOINT="http://127.0.0.1:$s3_port"

# A Stripe-compatible server (localstripe) and the fix-up proxy the server talks to it
# through (scripts/stripe-fixup-proxy.py), for the payments tests.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
stripe_port=$(free_port)
proxy_port=$(free_port)
# localstripe keeps its data in a fixed file unless told to start from scratch.
.venv/bin/localstripe --port "$stripe_port" --from-scratch >"${TMPDIR:-/tmp}/petpixel-localstripe.log" 2>&1 &
stripe_pid=$!
.venv/bin/python scripts/stripe-fixup-proxy.py "$proxy_port" "http://127.0.0.1:$stripe_port" \
  >"${TMPDIR:-/tmp}/petpixel-stripe-proxy.log" 2>&1 &
proxy_pid=$!
trap 'kill $moto_pid $stripe_pid $proxy_pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -fsS -o /dev/null "http://127.0.0.1:$proxy_port/js.stripe.com/v3/" 2>/dev/null && break
  kill -0 $stripe_pid 2>/dev/null || { log "localstripe died:"; cat "${TMPDIR:-/tmp}/petpixel-localstripe.log"; exit 1; }
  kill -0 $proxy_pid 2>/dev/null || { log "the Stripe fix-up proxy died:"; cat "${TMPDIR:-/tmp}/petpixel-stripe-proxy.log"; exit 1; }
  sleep 0.1
done
export TEST_STRIPE_API="http://127.0.0.1:$proxy_port/" TEST_STRIPE_SERVER="http://127.0.0.1:$stripe_port"

log "cargo test (release profile: shares the build above)"
cargo test --locked --release --workspace --exclude frontend

# The REST API against its own OpenAPI document (schemathesis), on the embedded defaults and,
# when the services are named, on PostgreSQL + Redis + S3: no 5xx, nothing undocumented.
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
contract() {
  local port data pid
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  data=$(mktemp -d "${TMPDIR:-/tmp}/petpixel-contract-data.XXXXXX")
  # schemathesis sends thousands of requests a minute from one address: the per-address limits
  # are out of the way here (the server's tests cover them).
  env "$@" PETPIXEL_DATA_DIR="$data" LEPTOS_SITE_ADDR="127.0.0.1:$port" RUST_LOG=error \
    PETPIXEL__LIMITS__UPLOADS_PER_HOUR=1000000 PETPIXEL__LIMITS__API_PER_MINUTE=1000000 \
    PETPIXEL__LIMITS__LOGINS_PER_ADDRESS=1000000 PETPIXEL__LIMITS__MAILS_PER_ADDRESS=1000000 \
    PETPIXEL__LIMITS__GAMES_PER_DAY=1000000 PETPIXEL__LIMITS__REGENERATIONS_PER_DAY=1000000 \
    PETPIXEL__LIMITS__STUDIO_JOBS_PER_HOUR=1000000 PETPIXEL__LIMITS__PLAYS_PER_HOUR=1000000 \
    PETPIXEL__LIMITS__RUNS_PER_HOUR=1000000 PETPIXEL__LIMITS__REPORTS_PER_HOUR=1000000 \
    PETPIXEL__LIMITS__EVENTS_PER_HOUR=1000000 PETPIXEL__LIMITS__CODE_MISSES_PER_HOUR=1000000 \
    "$target_dir/release/petpixel" serve &
  pid=$!
  for _ in $(seq 1 300); do
    curl -fsS -o /dev/null "http://127.0.0.1:$port/health" 2>/dev/null && break
    kill -0 $pid 2>/dev/null || { log "the server for the API contract did not start"; exit 1; }
    sleep 0.1
  done
  local rc=0
  ./scripts/api-contract.sh "http://127.0.0.1:$port" "${API_CONTRACT_EXAMPLES:-50}" || rc=$?
  kill $pid; wait $pid || true
  rm -rf "$data"
  return $rc
}
log "API contract (schemathesis): embedded defaults"
contract
if [ -n "${TEST_DATABASE_URL:-}" ] && [ -n "${TEST_REDIS_URL:-}" ]; then
  log "API contract (schemathesis): PostgreSQL + Redis + S3"
  db="petpixel_contract_$$"
  psql -q "$TEST_DATABASE_URL" -c "CREATE DATABASE $db"
  bucket="petpixel-contract-$$"
  curl -fsS -X PUT -o /dev/null "$TEST_S3_ENDPOINT/$bucket"
  contract DATABASE_URL="${TEST_DATABASE_URL%/*}/$db" REDIS_URL="$TEST_REDIS_URL" \
    PETPIXEL__SECURITY__PII_KEYS="contract:$(head -c 32 /dev/urandom | base64 -w0)" \
    S3_BUCKET="$bucket" S3_ENDPOINT="$TEST_S3_ENDPOINT" S3_ALLOW_HTTP=true AWS_REGION=us-east-1 \
    AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
  psql -q "$TEST_DATABASE_URL" -c "DROP DATABASE $db WITH (FORCE)"
elif [ "${CI:-}" = true ]; then
  log "TEST_DATABASE_URL and TEST_REDIS_URL must be set under CI"; exit 1
fi

# The wgpu backend on Mesa's lavapipe (software Vulkan, so no GPU is needed): the pipeline
# must give the CPU's answer there too.
log "cargo test: ml on wgpu (lavapipe)"
XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-${TMPDIR:-/tmp}}" CUBECL_WGPU_DEFAULT_DEVICE=Cpu \
  cargo test --locked --release -p ml --features wgpu --test backends

# The full U²-Net (the net for GPU worker nodes, ADR 0012), here on the CPU: its weights are
# fetched once (165 MB, kept in ~/.cache/petpixel) and embedded by the feature's build.
log "cargo test: ml with the full U²-Net"
./scripts/fetch-weights.sh --full
cargo test --locked --release -p ml --features full-u2net --test full_net

log "playwright (Chromium)"
npx playwright test --config end2end/playwright.config.ts
