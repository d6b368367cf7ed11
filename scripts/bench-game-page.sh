#!/usr/bin/env bash
#! Throughput of the public game page `/g/{code}` beside a static file served by the same
#! server (the baseline, measured in the same run): wrk, 2 threads, 64 connections.
#!
#! scripts/bench-game-page.sh http://127.0.0.1:3000 [CODE] [SECONDS]
#! Without CODE, a game is made first from the shipped test photo (ml/testdata/chelsea.png).
#! The server should run with the per-address limits out of the way (every request here
#! comes from one address), e.g. PETPIXEL__LIMITS__API_PER_MINUTE=1000000.
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:?base URL, e.g. http://127.0.0.1:3000}
code=${2:-}
seconds=${3:-10}

if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" = 0 ]; then apt-get install -y -qq wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
  else sudo apt-get install -y -qq wrk >/dev/null; fi
fi

json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

if [ -z "$code" ]; then
  jar=$(mktemp)
  trap 'rm -f "$jar"' EXIT
  image=$(curl -fsS -c "$jar" -b "$jar" -F "image=@ml/testdata/chelsea.png" "$base/api/v1/images/upload" | json "['id']")
  game=$(curl -fsS -c "$jar" -b "$jar" -H 'content-type: application/json' \
    -d "{\"image_id\":\"$image\",\"pet_name\":\"Chelsea\",\"theme\":\"garden\",\"difficulty\":\"normal\",\"level_count\":2}" \
    "$base/api/v1/games")
  id=$(echo "$game" | json "['id']")
  code=$(echo "$game" | json "['short_code']")
  for _ in $(seq 1 600); do
    status=$(curl -fsS -b "$jar" "$base/api/v1/games/$id" | json "['status']")
    [ "$status" = ready ] && break
    [ "$status" = failed ] && { echo "the game failed" >&2; exit 1; }
    sleep 0.5
  done
fi

static=$(curl -fsS "$base/g/$code" | grep -o 'href="/pkg/[^"]*\.css"' | head -1 | sed 's/^href="//; s/"$//')
[ -n "$static" ] || { echo "no style sheet linked from /g/$code" >&2; exit 1; }

# Requests/s, p50 and p99 (ms) of one wrk run.
measure() {
  wrk -t2 -c64 -d"${seconds}s" --latency -H 'Accept-Encoding: br' "$base$1" | python3 -c '
import re, sys
text = sys.stdin.read()
def ms(label):
    m = re.search(r"^\s*" + label + r"\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    value, unit = float(m.group(1)), m.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
p50, p99 = ms("50%"), ms("99%")
print(f"{rps:.0f} {p50:.2f} {p99:.2f} {errors.group(1) if errors else 0}")
'
}

read -r page_rps page_p50 page_p99 page_errors < <(measure "/g/$code")
read -r file_rps file_p50 file_p99 file_errors < <(measure "$static")
printf '%-34s %10s %9s %9s %8s\n' "wrk -t2 -c64 -d${seconds}s" "req/s" "p50 ms" "p99 ms" "non-2xx"
printf '%-34s %10s %9s %9s %8s\n' "/g/$code" "$page_rps" "$page_p50" "$page_p99" "$page_errors"
printf '%-34s %10s %9s %9s %8s\n' "$static" "$file_rps" "$file_p50" "$file_p99" "$file_errors"
awk -v p="$page_rps" -v f="$file_rps" 'BEGIN { printf "the game page serves %.2fx the static file'"'"'s rate\n", p / f }'
