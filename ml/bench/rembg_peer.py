"""The peer a user would pick instead of PetPixel's background removal: rembg with the same
u2netp weights. Run by scripts/bench-ml.sh, which compares its masks and times with ours.

usage: [REMBG_MODEL=u2net] rembg_peer.py OUTDIR PHOTO...
Writes OUTDIR/<stem>.rembg.png (rembg's mask; with REMBG_MODEL=u2net the full net's, the
reference for ml/tests/full_net.rs) and prints one JSON object per photo:
{"photo", "cold_s", "warm_median_s", "peak_rss_mib"}.
"""
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path

from PIL import Image
from rembg import new_session, remove

WARM_RUNS = 5


def main() -> None:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    model = os.environ.get("REMBG_MODEL", "u2netp")
    if "U2NET_HOME" not in os.environ:
        sys.exit(f"set U2NET_HOME to the folder holding {model}.onnx (same weights as ours)")
    started = time.perf_counter()
    session = new_session(model)
    load_s = time.perf_counter() - started
    for photo in sys.argv[2:]:
        img = Image.open(photo).convert("RGB")
        started = time.perf_counter()
        mask = remove(img, session=session, only_mask=True)
        cold_s = time.perf_counter() - started + load_s
        load_s = 0.0
        times = []
        for _ in range(WARM_RUNS):
            started = time.perf_counter()
            mask = remove(img, session=session, only_mask=True)
            times.append(time.perf_counter() - started)
        mask.save(out / (Path(photo).stem + ".rembg.png"))
        rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({
            "photo": photo,
            "cold_s": cold_s,
            "warm_median_s": statistics.median(times),
            "peak_rss_mib": rss_mib,
        }), flush=True)


if __name__ == "__main__":
    main()
