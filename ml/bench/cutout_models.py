"""U²-Net against U²-Net-p (the model we ship) on the benchmark photos, through rembg with
onnxruntime on the CPU. Run by scripts/compare-cutout-models.sh, which sets U2NET_HOME to a
folder holding u2net.onnx and u2netp.onnx.

usage: cutout_models.py [OUTDIR]
Writes OUTDIR/<photo>.<model>.png (each mask) and OUTDIR/<photo>.compare.png (photo, u2netp
mask, u2net mask side by side), then prints per photo: each model's time, the masks' IoU and
the share of each mask in the bottom quarter of its bounding box (high when a support surface
such as a ledge or hillside is kept with the pet), with medians; and per model its load time
and peak RSS.
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

MODELS = ("u2netp", "u2net")
THREADS = 2  # a worker node's share: onnxruntime's intra-op pool
TIMED_RUNS = 3
PHOTOS = sorted(Path(__file__).resolve().parents[1].joinpath("testdata/photos").glob("*.png"))


def proc_status_mib(field: str) -> float:
    """VmRSS (now) or VmHWM (peak) of this process, from /proc."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise KeyError(field)


def worker(model: str, out: Path) -> None:
    """One model in its own process, so its peak RSS and load time are its alone."""
    import onnxruntime as ort
    from rembg import sessions

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = THREADS
    opts.inter_op_num_threads = 1
    # rembg's imports JIT-compile pymatting with numba on a first run (~300 MiB more, then
    # cached): reset the peak so it counts only the session and its inferences (Linux >= 4.0).
    Path("/proc/self/clear_refs").write_text("5")
    base_mib = proc_status_mib("VmRSS")
    started = time.perf_counter()
    cls = next(c for c in sessions.sessions_class if c.name() == model)
    session = cls(model, opts, providers=["CPUExecutionProvider"])
    load_s = time.perf_counter() - started
    times = {}
    for photo in PHOTOS:
        img = Image.open(photo).convert("RGB")
        # predict() is the model run with rembg's pre-processing (resize to 320², normalise)
        # and post-processing (min-max scale, resize back to the photo's size).
        session.predict(img)  # warm-up
        runs = []
        for _ in range(TIMED_RUNS):
            started = time.perf_counter()
            mask = session.predict(img)[0]
            runs.append(time.perf_counter() - started)
        times[photo.stem] = statistics.median(runs) * 1000
        mask.save(out / f"{photo.stem}.{model}.png")
    print(json.dumps({
        "load_s": load_s,
        "base_rss_mib": base_mib,
        "peak_rss_mib": proc_status_mib("VmHWM"),
        "ms": times,
    }))


def bottom_share(mask: np.ndarray) -> float:
    """Share of the mask's pixels in the bottom 25 % of its bounding box."""
    rows = np.nonzero(mask.any(axis=1))[0]
    if rows.size == 0:
        return float("nan")
    top, bottom = rows[0], rows[-1] + 1
    cut = top + int(round(0.75 * (bottom - top)))
    return mask[cut:].sum() / mask.sum()


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="cutout-models-"))
    out.mkdir(parents=True, exist_ok=True)
    if len(PHOTOS) == 0:
        sys.exit("no photos in ml/testdata/photos: run scripts/fetch-test-photos.sh")
    stats = {}
    for model in MODELS:  # one after the other, so they do not compete for the cores
        run = subprocess.run([sys.executable, __file__, "--worker", model, str(out)],
                             check=True, stdout=subprocess.PIPE, text=True)
        stats[model] = json.loads(run.stdout.strip().splitlines()[-1])

    rows = []
    print(f"{'photo':14} {'u2netp ms':>9} {'u2net ms':>9} {'ratio':>6} {'IoU':>6} "
          f"{'bottom25% p':>11} {'bottom25% full':>14}")
    for photo in PHOTOS:
        name = photo.stem
        masks = [np.asarray(Image.open(out / f"{name}.{m}.png").convert("L")) >= 128
                 for m in MODELS]
        union = (masks[0] | masks[1]).sum()
        iou = (masks[0] & masks[1]).sum() / union if union else 1.0
        ms = [stats[m]["ms"][name] for m in MODELS]
        row = (ms[0], ms[1], ms[1] / ms[0], iou, bottom_share(masks[0]), bottom_share(masks[1]))
        rows.append(row)
        print(f"{name:14} {row[0]:9.0f} {row[1]:9.0f} {row[2]:6.2f} {row[3]:6.3f} "
              f"{row[4]:11.1%} {row[5]:14.1%}")
        # Photo | u2netp | u2net, for a person to look at.
        img = Image.open(photo).convert("RGB")
        sheet = Image.new("RGB", (img.width * 3, img.height))
        sheet.paste(img, (0, 0))
        for i, m in enumerate(MODELS, start=1):
            sheet.paste(Image.open(out / f"{name}.{m}.png").convert("RGB"), (img.width * i, 0))
        sheet.save(out / f"{name}.compare.png")
    med = [statistics.median(col) for col in zip(*rows)]
    print(f"{'median':14} {med[0]:9.0f} {med[1]:9.0f} {med[2]:6.2f} {med[3]:6.3f} "
          f"{med[4]:11.1%} {med[5]:14.1%}")
    print()
    for m in MODELS:
        s = stats[m]
        print(f"{m:7} load {s['load_s']:.2f} s, peak RSS {s['peak_rss_mib']:.0f} MiB "
              f"({s['base_rss_mib']:.0f} MiB of it Python and imports before the session)")
    print(f"intra-op threads {THREADS}; median of {TIMED_RUNS} runs after 1 warm-up; masks in {out}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(sys.argv[2], Path(sys.argv[3]))
    else:
        main()
