"""The peer a user would pick instead of PetPixel's pixelization: pyxelate (sedthh/pyxelate 2.x,
MIT). PyPI's `pyxelate` is an empty placeholder, so this runs a checkout of its source that
the caller points at; nothing of it is copied into this project. scripts/bench-ml.sh runs it
when PYXELATE_SRC is set, then scores its grid and ours with `petpixel-ml colour-error`.

usage: pyxelate_peer.py PYXELATE_SRC CUTOUT CELLS OUT COLOURS
Turns the pet in CUTOUT (transparent background) into a grid of CELLS' size (our sprite's
cells, one pixel each) with COLOURS colours, writes it to OUT and prints one JSON object:
{"grid": [w, h], "colours", "seconds"}.
"""
import json
import sys
import time

import numpy as np
from PIL import Image

# The least alpha that counts as pet when the pipeline boxes a cut-out (ml/src/mask.rs).
VISIBLE_ALPHA = 8


def main() -> None:
    src, cutout_path, cells_path, out_path, colours = sys.argv[1:6]
    sys.path.insert(0, src)
    from pyxelate import Pyx

    cutout = np.asarray(Image.open(cutout_path).convert("RGBA"))
    ys, xs = np.nonzero(cutout[:, :, 3] >= VISIBLE_ALPHA)
    # The same box our sprite spans, so the two grids lie over the same pixels.
    pet = cutout[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    width, height = Image.open(cells_path).size
    started = time.perf_counter()
    pyx = Pyx(height=height, width=width, palette=int(colours), dither="none")
    grid = pyx.fit_transform(pet)
    seconds = time.perf_counter() - started
    Image.fromarray(grid.astype(np.uint8), "RGBA").save(out_path)
    print(json.dumps({"grid": [width, height], "colours": int(colours), "seconds": seconds}))


if __name__ == "__main__":
    main()
