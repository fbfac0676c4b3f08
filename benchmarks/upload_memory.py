"""Peak memory of one `DigitUpload` prediction on a 48-megapixel photo, each file in a fresh process.

    python benchmarks/upload_memory.py [--json out.json] [--only jpeg]

Writes 8000x6000 pictures (a JPEG as a phone saves it, an RGB PNG, a gray PNG) into a temporary
folder, then for each runs `DigitUpload(FNN()).predict_bytes(data)` in a new Python process and
reports how much its resident-set high-water mark grew (what the kernel saw, Pillow included) and
the peak that tracemalloc saw (Python and NumPy allocations only).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

MEASURE = r"""
import json, resource, sys, tracemalloc
from workshop_lib.fnn import FNN
from workshop_lib.widgets import DigitUpload
data = open(sys.argv[1], "rb").read()
upload = DigitUpload(FNN())
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
tracemalloc.start()
prediction = upload.predict_bytes(data)
_, peak = tracemalloc.get_traced_memory()
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"rss_growth_mb": round((after - before) / 1024), "tracemalloc_peak_mb": round(peak / 2**20),
                  "predicted": prediction is not None, "message": upload.status.value}))
"""


def photo(path: Path, mode: str) -> Path:
    """An 8000x6000 picture of a dark "7" on light paper."""
    from PIL import Image, ImageDraw

    image = Image.new("L", (8000, 6000), 235)
    ImageDraw.Draw(image).line([(3000, 1500), (4500, 1500), (3500, 4500)], fill=20, width=250)
    if mode == "RGB":
        image = image.convert("RGB")
    image.save(path, quality=90) if path.suffix == ".jpg" else image.save(path, compress_level=1)
    return path


def measure(path: Path) -> dict:
    """Run one upload of `path` in a fresh process; its numbers as a dict."""
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, "-c", MEASURE, str(path)], capture_output=True, text=True,
                          cwd=root, env={**os.environ, "PYTHONPATH": str(root)}, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


PICTURES = {"jpeg": ("photo.jpg", "RGB"), "png_rgb": ("photo_rgb.png", "RGB"),
            "png_gray": ("photo_gray.png", "L")}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--only", choices=sorted(PICTURES), help="measure one kind of picture")
    args = parser.parse_args(argv)
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        for kind, (name, mode) in PICTURES.items():
            if args.only in (None, kind):
                results[kind] = measure(photo(Path(folder) / name, mode))
                print(f"{kind:9s} 8000x6000: RSS grew {results[kind]['rss_growth_mb']} MB, "
                      f"tracemalloc peak {results[kind]['tracemalloc_peak_mb']} MB")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
