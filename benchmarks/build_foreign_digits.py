"""Build `workshop_lib/foreign_digits/foreign_digits.npz`: digit pictures from outside MNIST, dark on light.

Reproducible: the same package versions give the same file. Needs the Debian font packages of `FONTS`
(the command is in `workshop_lib/foreign_digits/README.md`) and scikit-learn for the UCI digits
(`pip install scikit-learn`); neither is needed to use the file.
Run: `python benchmarks/build_foreign_digits.py [--sheet build/foreign_digits.png]`.

Kinds of pictures (a 64 x 64 page each, uint8, 255 = white paper):
- printed: a digit typeset in one of several real fonts and weights, any size, a little tilted;
- small_offcentre: a printed or pen digit 10 to 18 pixels tall, anywhere on the page;
- uci_8x8: handwritten digits of the UCI "optical recognition" set (8 x 8 cells of 0..16),
  enlarged without smoothing, so blocky;
- thin_pen, thick_pen: strokes through hand-made digit skeletons, jittered and slanted, drawn with a
  fine pen (1 to 1.6 pixels) or a marker (17 to 28 % of the digit's height);
- pixel_pen: the same strokes drawn without smoothing on a coarse grid (8 to 14 cells tall) and
  enlarged, like a pixel-art pen;
- mouse: the strokes as a mouse records them: sparse, irregular samples joined by straight
  segments, with tremor.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

PAGE = 64
OUT = Path(__file__).resolve().parent.parent / "workshop_lib" / "foreign_digits" / "foreign_digits.npz"
SEED = 2024
COUNTS = {"printed": 300, "small_offcentre": 200, "uci_8x8": 300, "thin_pen": 200, "thick_pen": 200,
          "pixel_pen": 200, "mouse": 200}

# (file, licence): lining figures only (no old-style fonts), regular to heavy weights.
FONTS = [
    ("truetype/dejavu/DejaVuSans.ttf", "Bitstream Vera / DejaVu licence"),
    ("truetype/dejavu/DejaVuSans-Bold.ttf", "Bitstream Vera / DejaVu licence"),
    ("truetype/dejavu/DejaVuSerif.ttf", "Bitstream Vera / DejaVu licence"),
    ("truetype/dejavu/DejaVuSansMono.ttf", "Bitstream Vera / DejaVu licence"),
    ("truetype/dejavu/DejaVuSans-ExtraLight.ttf", "Bitstream Vera / DejaVu licence"),
    ("truetype/liberation/LiberationSans-Regular.ttf", "GPL-2 with font exception"),
    ("truetype/liberation/LiberationSans-Bold.ttf", "GPL-2 with font exception"),
    ("truetype/liberation/LiberationSerif-Regular.ttf", "GPL-2 with font exception"),
    ("truetype/liberation/LiberationMono-Regular.ttf", "GPL-2 with font exception"),
    ("truetype/freefont/FreeSans.ttf", "GPL-3+ with font exception"),
    ("truetype/freefont/FreeSerifBold.ttf", "GPL-3+ with font exception"),
    ("truetype/open-sans/OpenSans-Light.ttf", "Apache-2.0"),
    ("truetype/open-sans/OpenSans-Regular.ttf", "Apache-2.0"),
    ("truetype/open-sans/OpenSans-ExtraBold.ttf", "Apache-2.0"),
    ("truetype/lato/Lato-Regular.ttf", "SIL OFL 1.1"),
    ("truetype/lato/Lato-Black.ttf", "SIL OFL 1.1"),
    ("opentype/comic-neue/ComicNeue-Regular.otf", "SIL OFL 1.1"),
    ("opentype/comic-neue/ComicNeue-Bold.otf", "SIL OFL 1.1"),
    ("truetype/andika/Andika-Regular.ttf", "SIL OFL 1.1"),
    ("truetype/quicksand/Quicksand-Regular.ttf", "SIL OFL 1.1"),
    ("opentype/courier-prime/Courier Prime.otf", "SIL OFL 1.1"),
    ("truetype/hack/Hack-Bold.ttf", "MIT + Bitstream Vera licence"),
    ("opentype/cantarell/Cantarell-Regular.otf", "SIL OFL 1.1"),
]
FONT_DIR = Path("/usr/share/fonts")

# Digit skeletons as people write them: strokes of control points in a unit box (x right, y down).
_LOOP0 = [(0.5 + 0.45 * math.sin(t), 0.5 - 0.5 * math.cos(t)) for t in np.linspace(-0.3, 2 * math.pi, 14)]
SKELETONS = {
    0: [[_LOOP0]],
    1: [[[(0.5, 0.0), (0.5, 1.0)]],
        [[(0.2, 0.25), (0.55, 0.0), (0.55, 1.0)]],
        [[(0.2, 0.25), (0.55, 0.0), (0.55, 1.0)], [(0.25, 1.0), (0.85, 1.0)]]],
    2: [[[(0.1, 0.25), (0.3, 0.03), (0.7, 0.03), (0.88, 0.25), (0.8, 0.5), (0.1, 1.0), (0.95, 1.0)]],
        [[(0.1, 0.2), (0.5, 0.0), (0.85, 0.2), (0.6, 0.6), (0.1, 0.98), (0.5, 0.9), (0.95, 1.0)]]],
    3: [[[(0.1, 0.12), (0.45, 0.0), (0.85, 0.15), (0.8, 0.38), (0.45, 0.48), (0.85, 0.6), (0.9, 0.85),
          (0.5, 1.0), (0.1, 0.88)]],
        [[(0.1, 0.0), (0.9, 0.0), (0.45, 0.42), (0.85, 0.6), (0.85, 0.88), (0.5, 1.0), (0.1, 0.9)]]],
    4: [[[(0.65, 1.0), (0.65, 0.0), (0.05, 0.7), (0.95, 0.7)]],
        [[(0.2, 0.0), (0.1, 0.6), (0.9, 0.6)], [(0.72, 0.1), (0.72, 1.0)]]],
    5: [[[(0.85, 0.0), (0.2, 0.0), (0.15, 0.45), (0.55, 0.38), (0.88, 0.6), (0.85, 0.85), (0.5, 1.0),
          (0.1, 0.9)]],
        [[(0.2, 0.0), (0.15, 0.45), (0.55, 0.38), (0.88, 0.62), (0.8, 0.9), (0.45, 1.0), (0.1, 0.88)],
         [(0.2, 0.0), (0.9, 0.0)]]],
    6: [[[(0.75, 0.0), (0.35, 0.25), (0.15, 0.65), (0.3, 0.95), (0.6, 1.0), (0.85, 0.8), (0.75, 0.55),
          (0.45, 0.5), (0.18, 0.7)]]],
    7: [[[(0.05, 0.0), (0.95, 0.0), (0.4, 1.0)]],
        [[(0.05, 0.05), (0.95, 0.0), (0.45, 1.0)], [(0.3, 0.5), (0.85, 0.5)]]],
    8: [[[(0.55, 0.47), (0.2, 0.3), (0.25, 0.05), (0.5, 0.0), (0.75, 0.05), (0.8, 0.28), (0.5, 0.47),
          (0.15, 0.72), (0.25, 0.95), (0.5, 1.0), (0.75, 0.95), (0.85, 0.72), (0.5, 0.5)]]],
    9: [[[(0.85, 0.25), (0.6, 0.02), (0.3, 0.05), (0.15, 0.3), (0.35, 0.5), (0.7, 0.45), (0.85, 0.25),
          (0.8, 0.6), (0.6, 1.0)]],
        [[(0.85, 0.15), (0.55, 0.0), (0.2, 0.1), (0.18, 0.38), (0.5, 0.48), (0.85, 0.3)],
         [(0.87, 0.05), (0.87, 1.0)]]],
}


def catmull_rom(points: np.ndarray, per_segment: int = 12) -> np.ndarray:
    """A smooth curve `[M, 2]` through the control points `[K, 2]` (uniform Catmull-Rom)."""
    if len(points) < 3:
        return np.linspace(points[0], points[-1], per_segment + 1)
    p = np.vstack([points[0], points, points[-1]])
    t = np.linspace(0, 1, per_segment, endpoint=False)[:, None]
    out = []
    for i in range(1, len(p) - 2):
        p0, p1, p2, p3 = p[i - 1], p[i], p[i + 1], p[i + 2]
        out.append(0.5 * ((2 * p1) + (-p0 + p2) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2
                          + (-p0 + 3 * p1 - 3 * p2 + p3) * t**3))
    out.append(p[-2][None])
    return np.vstack(out)


def pen_paths(digit: int, rng: np.random.Generator, height: float, top_left: tuple[float, float],
              jitter: float = 0.03) -> list[np.ndarray]:
    """The digit's strokes as smooth paths in page pixels: a random variant, slant, width and jitter."""
    variants = SKELETONS[digit]
    strokes = variants[rng.integers(len(variants))]
    aspect = rng.uniform(0.55, 0.95) if digit != 1 else 1.0
    slant = rng.uniform(-0.3, 0.2)  # x moves by slant * (1 - y): right-leaning writing is common
    paths = []
    for stroke in strokes:
        pts = np.asarray(stroke, dtype=float) + rng.normal(0, jitter, (len(stroke), 2))
        curve = catmull_rom(pts)
        x = (curve[:, 0] * aspect + slant * (1 - curve[:, 1])) * height
        y = curve[:, 1] * height
        paths.append(np.stack([x + top_left[0], y + top_left[1]], 1))
    return paths


def draw_paths(paths: list[np.ndarray], width: float, size: int, supersample: int = 4) -> np.ndarray:
    """Ink `[size, size]` in 0..1 of the paths drawn with a round pen of `width` pixels, anti-aliased."""
    big = Image.new("L", (size * supersample, size * supersample), 0)
    draw = ImageDraw.Draw(big)
    w = max(1, round(width * supersample))
    r = w / 2
    for path in paths:
        pts = [(float(x) * supersample, float(y) * supersample) for x, y in path]
        draw.line(pts, fill=255, width=w)
        for x, y in pts:  # a round nib: a disc at every joint, so thick strokes have no gaps
            draw.ellipse((x - r, y - r, x + r, y + r), fill=255)
    return np.asarray(big.resize((size, size), Image.BOX), dtype=float) / 255.0


def place(height_range, rng, size=PAGE, width_ratio=1.0):
    """A random height and a top-left corner that keeps a box of that height on the page."""
    height = rng.uniform(*height_range)
    width = height * width_ratio
    x = rng.uniform(1, size - 1 - width)
    y = rng.uniform(1, size - 1 - height)
    return height, (x, y)


def on_paper(ink: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Dark ink on light paper, uint8: paper 215..255, ink 0..70."""
    paper, dark = rng.uniform(215, 255), rng.uniform(0, 70)
    return np.clip(np.rint(paper - ink * (paper - dark)), 0, 255).astype(np.uint8)


def printed(digit: int, rng, height_range=(24, 58)) -> tuple[np.ndarray, str]:
    """A digit in a random font from `FONTS`, scaled to a random height, tilted up to 8 degrees."""
    file, _ = FONTS[rng.integers(len(FONTS))]
    font = ImageFont.truetype(str(FONT_DIR / file), 160)
    tile = Image.new("L", (320, 320), 0)
    ImageDraw.Draw(tile).text((160, 160), str(digit), fill=255, font=font, anchor="mm")
    tile = tile.rotate(rng.uniform(-8, 8), resample=Image.BICUBIC)
    glyph = tile.crop(tile.getbbox())
    height, (x, y) = place(height_range, rng, width_ratio=glyph.width / glyph.height)
    w = max(1, round(glyph.width * height / glyph.height))
    glyph = glyph.resize((w, max(1, round(height))), Image.LANCZOS)
    page = Image.new("L", (PAGE, PAGE), 0)
    page.paste(glyph, (round(x), round(y)))
    return np.asarray(page, dtype=float) / 255.0, Path(file).stem


def fitted_paths(digit: int, rng, height_range, margin: float, size: int, jitter: float = 0.03):
    """The digit's pen paths scaled to a random height and moved to a random place where, with a
    `margin` for the pen, they stay on a `size` page."""
    paths = pen_paths(digit, rng, 1.0, (0.0, 0.0), jitter)
    points = np.vstack(paths)
    low, high = points.min(0), points.max(0)
    scale = min(rng.uniform(*height_range) / (high - low)[1], (size - 3 - 2 * margin) / (high - low).max())
    room = size - 2 - 2 * margin - (high - low) * scale  # [2] free pixels in x and y
    corner = 1 + margin + rng.uniform(0, 1, 2) * room
    return [(path - low) * scale + corner for path in paths]


def pen(digit: int, rng, width_range, height_range=(24, 58)) -> np.ndarray:
    """A pen of `width_range` pixels (or, below 1, fractions of the digit's height) on the page."""
    height = rng.uniform(*height_range)
    width = rng.uniform(*width_range) * (height if width_range[1] < 1 else 1)
    paths = fitted_paths(digit, rng, (height - width, height - width), width / 2, PAGE)
    return draw_paths(paths, width, PAGE)


def pixel_pen(digit: int, rng) -> np.ndarray:
    """Drawn on a coarse grid without smoothing (a pixel-art pen), then enlarged cell by cell."""
    cells = int(rng.integers(8, 15))  # the digit's height in cells
    factor = int(rng.integers(3, 64 // (cells + 2) + 1))
    grid = int(math.ceil(PAGE / factor))
    width = int(rng.integers(1, 3))
    image = Image.new("L", (grid, grid), 0)
    draw = ImageDraw.Draw(image)
    for path in fitted_paths(digit, rng, (cells - 1, cells - 1), width / 2, grid):
        draw.line([(float(x), float(y)) for x, y in path], fill=255, width=width)
    big = image.resize((grid * factor, grid * factor), Image.NEAREST).crop((0, 0, PAGE, PAGE))
    return np.asarray(big, dtype=float) / 255.0


def mouse(digit: int, rng) -> np.ndarray:
    """As a mouse records a stroke: irregular sparse samples, tremor, straight segments between them."""
    width = rng.uniform(1.5, 4.0)
    paths = []
    for path in fitted_paths(digit, rng, (24, 54), width / 2 + 2, PAGE, jitter=0.04):
        keep = rng.choice(len(path), size=max(3, len(path) // int(rng.integers(3, 7))), replace=False)
        keep = np.unique(np.concatenate([[0], keep, [len(path) - 1]]))  # sorted sample indices
        tremor = np.cumsum(rng.normal(0, 0.35, (len(keep), 2)), axis=0) * 0.5
        paths.append(path[keep] + tremor)
    return draw_paths(paths, width, PAGE, supersample=1)


def uci_digits(n: int, rng) -> tuple[list[np.ndarray], list[int]]:
    """`n` of the 1797 UCI 8 x 8 handwritten digits, enlarged 3 to 7 times without smoothing, placed."""
    from sklearn.datasets import load_digits  # only the builder needs scikit-learn

    digits = load_digits()
    chosen = rng.choice(len(digits.images), size=n, replace=False)
    pictures = []
    for i in chosen:
        factor = int(rng.integers(3, 8))
        cells = np.kron(digits.images[i] / 16.0, np.ones((factor, factor)))  # [8f, 8f] blocky
        page = np.zeros((PAGE, PAGE))
        y, x = (int(v) for v in rng.integers(0, PAGE - 8 * factor + 1, size=2))
        page[y : y + 8 * factor, x : x + 8 * factor] = cells
        pictures.append(page)
    return pictures, [int(digits.target[i]) for i in chosen]


def build() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(SEED)
    images, labels, kinds, sources = [], [], [], []

    def add(ink, label, kind, source):
        images.append(on_paper(ink, rng))
        labels.append(label)
        kinds.append(kind)
        sources.append(source)

    for kind, count in COUNTS.items():
        digit_labels = [i % 10 for i in range(count)]
        if kind == "uci_8x8":
            inks, digit_labels = uci_digits(count, rng)
            for ink, label in zip(inks, digit_labels, strict=True):
                add(ink, label, kind, "UCI optical digits (scikit-learn load_digits)")
            continue
        for d in digit_labels:
            if kind == "printed":
                ink, source = printed(d, rng)
            elif kind == "small_offcentre":
                if rng.random() < 0.5:
                    ink, source = printed(d, rng, height_range=(10, 18))
                else:
                    ink, source = pen(d, rng, (1.0, 2.0), height_range=(10, 18)), "pen"
            elif kind == "thin_pen":
                ink, source = pen(d, rng, (1.0, 1.6)), "pen"
            elif kind == "thick_pen":
                ink, source = pen(d, rng, (0.17, 0.28)), "pen"
            elif kind == "pixel_pen":
                ink, source = pixel_pen(d, rng), "pen"
            else:
                ink, source = mouse(d, rng), "pen"
            add(ink, d, kind, source)
    kind_names = list(COUNTS)
    return {
        "images": np.stack(images),  # [N, 64, 64] uint8, dark on light
        "labels": np.asarray(labels, dtype=np.uint8),  # [N]
        "kinds": np.asarray([kind_names.index(k) for k in kinds], dtype=np.uint8),  # [N] into kind_names
        "kind_names": np.asarray(kind_names),
        "sources": np.asarray(sources),  # the font's file name, "pen" or the UCI set
    }


def contact_sheet(arrays: dict[str, np.ndarray], path: Path, per_kind: int = 20) -> None:
    """A PNG with `per_kind` pictures of each kind, one row per kind."""
    rows = []
    for k in range(len(arrays["kind_names"])):
        chosen = np.flatnonzero(arrays["kinds"] == k)
        row = np.concatenate([np.pad(arrays["images"][i], 1) for i in chosen[:per_kind]], axis=1)
        rows.append(row)
    Image.fromarray(np.concatenate(rows, axis=0)).save(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--sheet", type=Path, help="also write a PNG contact sheet of the set here")
    args = parser.parse_args()
    arrays = build()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **arrays)
    print(f"{len(arrays['labels'])} pictures -> {args.out} ({args.out.stat().st_size / 1e6:.2f} MB)")
    if args.sheet:
        args.sheet.parent.mkdir(parents=True, exist_ok=True)
        contact_sheet(arrays, args.sheet)


if __name__ == "__main__":
    main()
