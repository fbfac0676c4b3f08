"""Synthetic "drawings" of digits, like a learner's on a canvas: dark ink on white, any size, anywhere.

Rendered with the font that ships inside Pillow, so they need no file and no internet.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

CANVAS = 280  # the drawing canvas is 280 x 280 pixels, ten times MNIST's 28


@dataclass(frozen=True)
class Style:
    """How a digit is drawn: its height on the canvas, its centre, the pen's width, a tilt.

    The stroke is drawn at a 200-pixel font size, then the glyph is scaled to `height`.
    """

    height: int = 160
    centre: tuple[int, int] = (CANVAS // 2, CANVAS // 2)  # (x, y)
    stroke: int = 4
    tilt: float = 0.0  # degrees, counter-clockwise


def draw_digit(digit: int, style: Style = Style()) -> Image.Image:
    """One digit as a grayscale `CANVAS x CANVAS` PIL image, black on white."""
    if not (isinstance(digit, int) and 0 <= digit <= 9):
        raise ValueError(f"Expected a digit 0..9, got {digit!r}.")
    font = ImageFont.load_default(size=200)
    # draw large on its own transparent tile, tilt it, scale it to the height, then paste it
    tile = Image.new("L", (CANVAS * 2, CANVAS * 2), 0)
    ImageDraw.Draw(tile).text((CANVAS, CANVAS), str(digit), fill=255, font=font, anchor="mm",
                              stroke_width=style.stroke, stroke_fill=255)
    tile = tile.rotate(style.tilt, resample=Image.BILINEAR)
    ink = tile.crop(tile.getbbox())
    width = max(1, round(ink.width * style.height / ink.height))
    ink = ink.resize((width, style.height), Image.BILINEAR)
    canvas = Image.new("L", (CANVAS, CANVAS), 255)
    x, y = style.centre[0] - ink.width // 2, style.centre[1] - ink.height // 2
    canvas.paste(0, (x, y), mask=ink)  # black ink where the glyph is
    return canvas


def random_styles(n: int, seed: int = 0) -> list[Style]:
    """`n` styles as people draw: small or big, off-centre, thin or thick, a little tilted."""
    rng = np.random.default_rng(seed)
    styles = []
    for _ in range(n):
        height = int(rng.integers(50, 240))
        margin = height // 2 + 10  # keep the digit on the canvas
        centre = tuple(int(c) for c in rng.integers(margin, CANVAS - margin + 1, size=2))
        styles.append(Style(height, centre, int(rng.integers(0, 14)), float(rng.uniform(-15, 15))))
    return styles


def synthetic_drawings(per_digit: int = 5, seed: int = 0) -> tuple[list[Image.Image], list[int]]:
    """`per_digit` drawings of each digit 0..9 in random styles, and their labels."""
    styles = random_styles(10 * per_digit, seed)
    labels = [d for d in range(10) for _ in range(per_digit)]
    return [draw_digit(d, s) for d, s in zip(labels, styles, strict=True)], labels
