#!/usr/bin/env bash
#! Makes the before/after gallery in docs/gallery/: for every test photo, the walk cycle (48 px,
#! classic-16, as a GIF) as drawn now and as drawn by
#! BEFORE (a git revision, default f9ab38a: the last one before issue 20), and Chelsea in every
#! style, with the gait chosen and the art-stats figures of each, in docs/gallery/README.md.
#!   usage: scripts/gallery.sh [BEFORE]
set -euo pipefail
cd "$(dirname "$0")/.."

before_rev="${1:-f9ab38a}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/petpixel/target}"
out=docs/gallery
work=$(mktemp -d)
trap 'git worktree remove --force "$work/before" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
log() { printf '\033[1;34m[gallery]\033[0m %s\n' "$*"; }

./scripts/fetch-test-photos.sh
log "building petpixel-ml at $before_rev"
git worktree add -q --detach "$work/before" "$before_rev"
# The weights are fetched, not committed: the worktree builds with this checkout's.
./scripts/fetch-weights.sh >/dev/null
weights="$PWD/ml/weights/u2netp.onnx"
(cd "$work/before" && PETPIXEL_U2NETP_ONNX="$weights" cargo build -q --locked --release -p ml --bin petpixel-ml)
cp "$CARGO_TARGET_DIR/release/petpixel-ml" "$work/petpixel-ml-before"
log "building petpixel-ml here"
# Both checkouts share the build cache, where cargo names workspace crates by their path in
# the workspace: the older checkout's builds look newer than this one's sources until these
# are touched.
git ls-files -z ml domain | xargs -0 touch
cargo build -q --locked --release -p ml --bin petpixel-ml
cp "$CARGO_TARGET_DIR/release/petpixel-ml" "$work/petpixel-ml-after"

rm -rf "$out"
mkdir -p "$out"
draw() { # which photo name [options...]
  local which=$1 photo=$2 name=$3
  shift 3
  "$work/petpixel-ml-$which" sprite "$photo" "$work/$which-$name" "$@" > /dev/null
  "$work/petpixel-ml-after" art-stats "$work/$which-$name/sheet.png" "$work/$which-$name/cutout.png" \
    > "$work/$which-$name.txt"
}
for photo in ml/testdata/photos/*.png; do
  name=$(basename "$photo" .png)
  log "$name"
  for which in before after; do draw "$which" "$photo" "$name" --size 48 --style classic-16; done
done
for style in $("$work/petpixel-ml-after" styles | awk '{print $1}'); do
  log "chelsea $style"
  for which in before after; do
    draw "$which" ml/testdata/chelsea.png "chelsea-$style" --size 48 --style "$style"
  done
done

.venv/bin/python - "$work" "$out" "$before_rev" <<'PY'
import glob, json, os, re, sys
from PIL import Image
work, out, before = sys.argv[1:]
SCALE, BACKGROUND = 3, (221, 230, 240, 255)
def walk_gif(which, name):
    """The walk cycle at its own speed, enlarged without smoothing, on a light background."""
    sheet = Image.open(f"{work}/{which}-{name}/sheet.png").convert("RGBA")
    table = json.load(open(f"{work}/{which}-{name}/sheet.json"))
    walk = next(t for t in table["meta"]["frameTags"] if t["name"] == "walk")
    frames = []
    for entry in table["frames"][walk["from"]:walk["to"] + 1]:
        r = entry["frame"]
        cell = sheet.crop((r["x"], r["y"], r["x"] + r["w"], r["y"] + r["h"]))
        flat = Image.new("RGBA", cell.size, BACKGROUND)
        flat.alpha_composite(cell)
        frames.append(flat.resize((r["w"] * SCALE, r["h"] * SCALE), Image.NEAREST).convert("RGB"))
    duration = table["frames"][walk["from"]]["duration"]
    frames[0].save(f"{out}/{name}-{which}.gif", save_all=True, append_images=frames[1:],
                   duration=duration, loop=0, disposal=1)
credits = {}
for line in open("ml/testdata/photos.txt"):
    if line.strip() and not line.startswith("#"):
        fields = line.split()
        credits[fields[0]] = f"{fields[4]}, {fields[5].replace('-', ' ')}"
def figures(which, name):
    text = open(f"{work}/{which}-{name}.txt").read()
    pick = lambda pattern: (re.search(pattern, text) or [None, "–"])[1]
    return (f"lone {pick(r'lone pixels ([0-9.]+) %')} %, region {pick(r'region ([0-9.]+) px')} px, "
            f"IoU {pick(r'IoU ([0-9.]+)')}, walk legs {pick(r'walk .*legs move ([0-9.]+)')} px / "
            f"body {pick(r'walk .*body ([0-9.]+)')} px")
def gait(name):
    meta = json.load(open(f"{work}/after-{name}/sheet.json"))["meta"]
    return meta.get("gait", "–")
names = sorted(os.path.basename(p)[:-4] for p in glob.glob("ml/testdata/photos/*.png"))
styles = sorted(os.path.basename(p)[len("after-"):] for p in glob.glob(f"{work}/after-chelsea-*") if os.path.isdir(p))
for name in names + styles:
    for which in ("before", "after"):
        walk_gif(which, name)
with open(f"{out}/README.md", "w") as md:
    md.write(f"""# Before and after: the pet as pixel art, moving

Made by `scripts/gallery.sh` (rerun it to refresh): each picture plays the walk cycle (the
create page's preview plays every animation). **Before** is `petpixel-ml` at
`{before}` (before issue 20), **after** is
this revision; both at 48 px. Figures from `petpixel-ml art-stats` (goals in issue 20: lone
pixels ≤ 5.5 %, mean region ≥ 6 px, IoU ≥ 0.9, walk legs ≥ 2 px with the body ≤ 1 px). The
gait is the one chosen from the pet's silhouette (the owner can pick another).

## The test photos, classic-16

| photo | before | after | gait | before | after |
|---|---|---|---|---|---|
""")
    for name in names:
        md.write(f"| {name} | ![]({name}-before.gif) | ![]({name}-after.gif) | {gait(name)} "
                 f"| {figures('before', name)} | {figures('after', name)} |\n")
    md.write("\n## Chelsea in every style\n\n| style | before | after | after: figures |\n|---|---|---|---|\n")
    for style in styles:
        md.write(f"| {style[len('chelsea-'):]} | ![]({style}-before.gif) | ![]({style}-after.gif) "
                 f"| {figures('after', style)} |\n")
    md.write("\n## Credits\n\nThe sprites are made from photos that keep their licences "
             "(`ml/testdata/LICENSES.md`): Chelsea, CC0, Stéfan van der Walt (scikit-image); ")
    md.write("; ".join(f"{n}, {credits.get(n, '')}" for n in names))
    md.write(" — from Wikimedia Commons by way of Debian's `gcompris-qt-data` 3.1-2.\n")
PY
log "wrote $out/README.md and $(ls "$out"/*.gif | wc -l) walk cycles"
