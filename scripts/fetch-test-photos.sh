#!/usr/bin/env bash
#! Fetches the benchmark's animal photos (ml/testdata/photos.txt) from Debian's
#! gcompris-qt-data package into ml/testdata/photos/ as PNG, checking each against its
#! recorded SHA-256. The package (44 MB) is kept in ~/.cache/petpixel; running again does
#! nothing when every photo is there. Licences: ml/testdata/LICENSES.md.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGE=gcompris-qt-data
VERSION=3.1-2
manifest=ml/testdata/photos.txt
dest=ml/testdata/photos
cache="${PETPIXEL_CACHE:-$HOME/.cache/petpixel}/debs"
log() { printf '\033[1;34m[photos]\033[0m %s\n' "$*"; }

names=$(grep -v '^#' "$manifest" | awk 'NF {print $1}')
missing=0
for name in $names; do [ -f "$dest/$name.png" ] || missing=1; done
if [ "$missing" = 0 ]; then
  log "every photo is in $dest"
  exit 0
fi

mkdir -p "$cache" "$dest"
deb=$(ls "$cache"/${PACKAGE}_${VERSION}_all.deb 2>/dev/null || true)
if [ -z "$deb" ]; then
  log "apt-get download $PACKAGE=$VERSION"
  if ! (cd "$cache" && apt-get download -q "$PACKAGE=$VERSION" >/dev/null 2>&1); then
    as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
    as_root apt-get update -qq
    (cd "$cache" && apt-get download -q "$PACKAGE=$VERSION" >/dev/null)
  fi
  deb="$cache/${PACKAGE}_${VERSION}_all.deb"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dpkg-deb -x "$deb" "$work/x"

python=.venv/bin/python
[ -x "$python" ] || python=python3
grep -v '^#' "$manifest" | while read -r name sha bundle path _licence _author; do
  [ -n "$name" ] || continue
  rcc="$work/x/usr/share/gcompris-qt/rcc/$bundle.rcc"
  "$python" ml/bench/unrcc.py "$rcc" "$path" "$work/$name.webp"
  got=$(sha256sum "$work/$name.webp" | cut -d' ' -f1)
  if [ "$got" != "$sha" ]; then
    echo "fetch-test-photos: $name: sha256 $got, expected $sha" >&2
    exit 1
  fi
  "$python" -c 'import sys; from PIL import Image; Image.open(sys.argv[1]).convert("RGB").save(sys.argv[2])' \
    "$work/$name.webp" "$dest/$name.png"
done
log "$(echo "$names" | wc -w) photos in $dest"
