#!/usr/bin/env bash
# Starts the built server for the Playwright suite on port $1 with a throwaway data directory.
set -euo pipefail
cd "$(dirname "$0")/.."
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
# Named by port, so tests can read what the server keeps (the email outbox): helpers.ts.
data="${TMPDIR:-/tmp}/petpixel-e2e-$1"
rm -rf "$data" && mkdir -p "$data"
trap 'rm -rf "$data"' EXIT
PETPIXEL_DATA_DIR="$data" LEPTOS_SITE_ADDR="127.0.0.1:$1" RUST_LOG="${RUST_LOG:-warn}" "$target_dir/release/petpixel" serve
