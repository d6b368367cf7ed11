#!/usr/bin/env bash
#! Builds everything the product serves: the hydrate wasm and the game runtime wasm (each
#! once, wasm-release + wasm-bindgen + wasm-opt), the CSS and public files into site/, and
#! the release server binary `petpixel`.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"

log() { printf '\033[1;34m[build]\033[0m %s\n' "$*"; }
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
wasm_dir="$target_dir/wasm32-unknown-unknown/wasm-release"
game_dir="$target_dir/wasm32-unknown-unknown/wasm-game"
site=site
stage=$(mktemp -d "${TMPDIR:-/tmp}/petpixel-site.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/pkg/game"

# wasm-opt 132 from npm; Debian's older binaryen silently breaks wasm-bindgen output.
# $2: the optimisation level (-Oz for the app, -O3 for the game's per-frame renderer).
wasm_opt() {
  wasm-opt "$2" --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue \
    --strip-debug --strip-producers --strip-target-features "$1" -o "$1"
}

log "hydrate wasm (frontend)"
cargo build -q --locked -p frontend --lib --target wasm32-unknown-unknown --profile wasm-release
wasm-bindgen --target web --no-typescript --out-name petpixel --out-dir "$stage/pkg" "$wasm_dir/frontend.wasm"
wasm_opt "$stage/pkg/petpixel_bg.wasm" -Oz

log "game runtime wasm"
cargo build -q --locked -p game-runtime --lib --target wasm32-unknown-unknown --profile wasm-game
wasm-bindgen --target web --no-typescript --out-name petpixel_game --out-dir "$stage/pkg/game" "$game_dir/game_runtime.wasm"
wasm_opt "$stage/pkg/game/petpixel_game_bg.wasm" -O3
cp game-runtime/web/loader.js "$stage/pkg/game/loader.js"

# The app's files are named by content (`petpixel.{tag}.js`, `…_bg.wasm`, `.css`), so they are
# served as immutable and a new build is fetched at once; the server reads the names from
# pkg/assets.json (`server::http::assets`).
tag() { cat "$@" | sha256sum | cut -c1-16; }
app="petpixel.$(tag "$stage/pkg/petpixel.js" "$stage/pkg/petpixel_bg.wasm")"
mv "$stage/pkg/petpixel_bg.wasm" "$stage/pkg/${app}_bg.wasm"
sed "s/'petpixel_bg\.wasm'/'${app}_bg.wasm'/" "$stage/pkg/petpixel.js" > "$stage/pkg/$app.js"
rm "$stage/pkg/petpixel.js"
grep -q "'${app}_bg.wasm'" "$stage/pkg/$app.js" ||
  { log "the glue's own wasm address was not renamed (wasm-bindgen's output changed?)"; exit 1; }
css="petpixel.$(tag style/main.css).css"
cp style/main.css "$stage/pkg/$css"
printf '{"app":"%s","css":"%s"}\n' "$app" "$css" > "$stage/pkg/assets.json"
cp -r public/. "$stage/"

# Precompressed beside each file (brotli and gzip at their best): served by Accept-Encoding,
# nothing compressed per request.
log "precompressing"
find "$stage" -type f \( -name '*.js' -o -name '*.wasm' -o -name '*.css' -o -name '*.svg' \
  -o -name '*.webmanifest' -o -name '*.json' \) -print0 |
  while IFS= read -r -d '' f; do
    brotli -q 11 -f -k -o "$f.br" "$f"
    gzip -9 -n -k -c "$f" > "$f.gz"
  done
rm -rf "$site" && mkdir -p "$site" && cp -r "$stage/." "$site/"

log "server (release)"
cargo build -q --locked --release -p server --bin petpixel
log "built: $site/ and $target_dir/release/petpixel"
for f in "$site/pkg/${app}_bg.wasm" "$site/pkg/$app.js" "$site/pkg/$css" "$site/pkg/game/petpixel_game_bg.wasm"; do
  printf '  %-40s %8d bytes, %7d gzip, %7d brotli\n' "${f#$site/}" "$(stat -c %s "$f")" \
    "$(stat -c %s "$f.gz")" "$(stat -c %s "$f.br")"
done
