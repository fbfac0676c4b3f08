"""Which default pen width lets the canvas's drawings be read best? Measured, not guessed.

Digits as people draw them on the 280 x 280 canvas (the hand-made skeletons of
`build_foreign_digits.py`, 90 to 250 px tall, anywhere), rendered exactly as `DigitCanvas.drawing()`
renders strokes, for several pen widths; read through `mnist_style` by the plain models of
`foreign_digits_eval.py` (trained first if missing). Prints the accuracy per width (mean, min-max over
seeds) and the stroke ratio (pen / digit height) that `mnist_style` would bring into MNIST's range.
Run: `PYTHONPATH=.:benchmarks python benchmarks/canvas_pen.py [--before]`.
"""

from __future__ import annotations

import numpy as np
import torch
from build_foreign_digits import fitted_paths
from foreign_digits_eval import VARIANTS, trained

from workshop_lib import foreign_digits, widgets
from workshop_lib.preprocessing import mnist_style

WIDTHS = [6, 10, 14, 20, 24, 28, 36]


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", action="store_true", help="the preparation before the pen step")
    prepare = VARIANTS["before: crop, bilinear to 20 px, mass"] if parser.parse_args().before else mnist_style
    torch.set_num_threads(1)
    models = [trained(seed, 3) for seed in (0, 1, 2)]
    canvas = widgets.DigitCanvas(models[0])
    rng = np.random.default_rng(7)
    labels = [i % 10 for i in range(300)]
    skeletons = [fitted_paths(d, rng, (90, 250), 20, 280) for d in labels]
    for width in WIDTHS:
        canvas.line_width = width
        pictures = []
        for paths in skeletons:
            canvas.strokes = [[(float(x), float(y)) for x, y in path[::3]] for path in paths]
            pictures.append(prepare(canvas.drawing()))
        x = torch.stack(pictures)
        accs = [100 * (foreign_digits.predictions(m, x).numpy() == np.array(labels)).mean() for m in models]
        print(f"pen {width:2d} px: {np.mean(accs):5.1f} % ({min(accs):.1f}-{max(accs):.1f})", flush=True)


if __name__ == "__main__":
    main()
