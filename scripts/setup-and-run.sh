#!/usr/bin/env bash
#! Installs what PetPixel needs on Debian 12, builds it, and runs it on its embedded defaults
#! (SQLite + local blobs under ./data, in-process sessions, payments off) at
#! http://127.0.0.1:3000 — or LEPTOS_SITE_ADDR.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-tools.sh
./scripts/build.sh
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
echo "PetPixel is starting on http://${LEPTOS_SITE_ADDR:-127.0.0.1:3000}"
exec "$target_dir/release/petpixel" serve
