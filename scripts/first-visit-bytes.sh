#!/usr/bin/env bash
#! Bytes a first visit downloads: the page and every /pkg file it links (style sheet, app
#! glue, app wasm), as sent with brotli, with gzip and with no compression (the baseline,
#! measured in the same run). The game's own module is not counted (loaded when it starts).
#!
#! scripts/first-visit-bytes.sh http://127.0.0.1:3000 [PATH ...]   (default: / and /games)
set -euo pipefail
base=${1:?base URL, e.g. http://127.0.0.1:3000}
shift
paths=("$@")
[ ${#paths[@]} -gt 0 ] || paths=(/ /games)

size() { curl -fsS -o /dev/null -H "Accept-Encoding: $2" -w '%{size_download}' "$base$1"; }

printf '%-44s %10s %10s %10s\n' "file" "none" "gzip" "brotli"
for path in "${paths[@]}"; do
  files=("$path")
  while IFS= read -r f; do files+=("$f"); done < <(
    curl -fsS "$base$path" | grep -o 'href="/pkg/[^"]*"' | sed 's/^href="//; s/"$//' | sort -u)
  total_none=0 total_gzip=0 total_br=0
  for f in "${files[@]}"; do
    none=$(size "$f" identity) gzip=$(size "$f" gzip) br=$(size "$f" br)
    total_none=$((total_none + none)) total_gzip=$((total_gzip + gzip)) total_br=$((total_br + br))
    printf '  %-42s %10d %10d %10d\n' "$f" "$none" "$gzip" "$br"
  done
  printf '%-44s %10d %10d %10d   (brotli %.1f%% of none)\n' "first visit to $path" \
    "$total_none" "$total_gzip" "$total_br" "$(awk "BEGIN { print 100 * $total_br / $total_none }")"
done
