#!/usr/bin/env bash
# Builds the game runtime for the browser: the wasm module (without game data; the
# server injects it per game), its wasm-bindgen glue, and the loader, into OUT_DIR.
#
#   game-runtime/build-wasm.sh [OUT_DIR]      (default: target/petpixel-game)
#
# Needs: target wasm32-unknown-unknown, wasm-bindgen CLI 0.2.130 (the crate's exact
# version) and binaryen's wasm-opt (WASM_OPT=path to choose one; Debian's old
# wasm-opt mangles wasm-bindgen output, use binaryen >= 120, e.g. from npm).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/target/petpixel-game}"
wasm_opt="${WASM_OPT:-wasm-opt}"
mkdir -p "$out"
cd "$root"
# Unstripped, so wasm-bindgen can read the target_features section; wasm-opt drops
# names and producers afterwards.
CARGO_PROFILE_WASM_RELEASE_STRIP=false \
  cargo build -p game-runtime --lib --target wasm32-unknown-unknown --profile wasm-release
wasm-bindgen --target web --no-typescript --out-name petpixel_game --out-dir "$out" \
  target/wasm32-unknown-unknown/wasm-release/game_runtime.wasm
"$wasm_opt" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-reference-types --enable-multivalue \
  --strip-debug --strip-producers --strip-target-features \
  "$out/petpixel_game_bg.wasm" -o "$out/petpixel_game_bg.wasm"
cp game-runtime/web/loader.js "$out/loader.js"
raw=$(wc -c < "$out/petpixel_game_bg.wasm")
gz=$(gzip -9 -c "$out/petpixel_game_bg.wasm" | wc -c)
echo "runtime: $out/petpixel_game_bg.wasm ($raw bytes, $gz gzipped)"
