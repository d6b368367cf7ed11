#!/usr/bin/env bash
#! Fuzzes the REST API against its own OpenAPI document with schemathesis (PyPI): every
#! operation, with generated and with real ids (a photo and a game made for the run, under
#! their owner's session), checking that no answer is a 5xx, an undocumented status or
#! content type, or a body that breaks the document.
#!
#! Usage: scripts/api-contract.sh BASE_URL [EXAMPLES]   (EXAMPLES per operation, default 20)
set -euo pipefail
cd "$(dirname "$0")/.."
base="${1:?usage: scripts/api-contract.sh BASE_URL [EXAMPLES]}"
examples="${2:-20}"
work=$(mktemp -d "${TMPDIR:-/tmp}/petpixel-contract.XXXXXX")
trap 'rm -rf "$work"' EXIT
jar="$work/cookies"

json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
image=$(curl -fsS -c "$jar" -b "$jar" -F image=@ml/testdata/chelsea.png "$base/api/v1/images/upload" | json '["id"]')
game=$(curl -fsS -c "$jar" -b "$jar" -H 'content-type: application/json' \
  -d "{\"image_id\": \"$image\", \"pet_name\": \"Chelsea\", \"theme\": \"park\", \"difficulty\": \"easy\", \"level_count\": 1}" \
  "$base/api/v1/games")
game_id=$(echo "$game" | json '["id"]')
code=$(echo "$game" | json '["short_code"]')
session=$(awk '$6 == "petpixel_session" { print $7 }' "$jar")

# The owner's session on every request; real ids where an operation names one, so answers
# with bodies are checked too, not only the 404s random ids get.
cat > "$work/schemathesis.toml" <<TOML
headers = { Cookie = "petpixel_session=$session" }
request-timeout = 60

[[operations]]
include-path-regex = "^/api/v1/images/\\\\{id\\\\}(/status|/\\\\{file\\\\})?$"
parameters = { id = "$image" }

[[operations]]
include-path-regex = "^/api/v1/games/\\\\{id\\\\}(/download|/push)?$"
parameters = { id = "$game_id" }

[[operations]]
include-path-regex = "^/api/v1/play/"
parameters = { code = "$code" }
TOML

# One worker: with two, hypothesis (inside schemathesis) parses lambdas' source with `ast.parse`
# on both threads at once, which CPython 3.11 does not survive ("SystemError: AST constructor
# recursion depth mismatch", python/cpython#106905): a runtime error now and then, no fault of
# the API's.
.venv/bin/st --config-file "$work/schemathesis.toml" run "$base/api/v1/openapi.json" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --max-examples "$examples" --workers 1 --no-color --seed 1 \
  2>&1 | tee "$work/out.txt" | sed -n "/^=* \(ERRORS\|FAILURES\|SUMMARY\)/,$ p"
status=${PIPESTATUS[0]}
# One line for the record: operations, cases generated and passed.
grep -E "^\s+(Tested|[0-9]+ generated)" "$work/out.txt" | tr -s ' ' | paste -sd ';' | sed "s|^|api contract on $base:|"
exit "$status"
