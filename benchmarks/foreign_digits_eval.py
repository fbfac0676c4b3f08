"""How well a plain MNIST model reads the foreign digits, per preparation step and per kind of picture.

Trains the FNN 784-256-256-10 on raw MNIST pixels (Adam, lr 1e-3, batch 64; lesson 03's recipe) for
each seed, keeps the weights in `build/foreign_eval/` (so later runs only evaluate), then prints the
accuracy per kind for each preparation variant, as mean and min-max over the seeds, and writes them to
`build/foreign_eval/results.json`. Run: `python benchmarks/foreign_digits_eval.py [--seeds 0 1 2]`.
"""

from __future__ import annotations

import argparse
import functools
import json
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from workshop_lib import FNN, FastDataLoaderFNN, foreign_digits, set_seed
from workshop_lib import preprocessing as P
from workshop_lib.augmentation import RandomAffine, RandomStroke
from workshop_lib.optim import make_adam

OUT = Path(__file__).resolve().parent.parent / "build" / "foreign_eval"


def trained(seed: int, epochs: int, augment: str = "none") -> nn.Module:
    """The FNN trained on raw MNIST with `seed` (loaded from the cache when it was trained before)."""
    path = OUT / f"fnn_{augment}_e{epochs}_s{seed}.pt"
    model = FNN(784, 256, 256, 10)
    if path.exists():
        model.load_state_dict(torch.load(path, weights_only=True))
        return model
    set_seed(seed)
    affine, stroke = RandomAffine(seed=seed), RandomStroke(seed=seed + 1000)  # two independent streams
    transforms = {"none": None, "affine": affine, "affine+stroke": lambda x: stroke(affine(x))}
    data = FastDataLoaderFNN(batch_size=64, seed=seed, batch_transform=transforms[augment])
    optimizer = make_adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(epochs):
        model.train()
        for x, y in data.train_loader:
            optimizer.zero_grad()
            loss_fn(model(x), y).backward()
            optimizer.step()
    OUT.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), path)
    return model


def _flat(field: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(field.reshape(-1)).float()  # [784]


def _steps(image, square=True, area=True, pen=P.STROKE, binary=False, blur=0.0, by_mass=True):
    """mnist_style with steps left out or changed: the variants measured below."""
    crop = P.crop_to_ink(P.ink(image))
    if not area:  # the preparation before: bilinear straight to 20 px, no pen
        digit = P.fit(P.square(crop) if square else crop, P.BOX)
    else:
        work = P.fit(P.square(crop) if square else crop, P.WORK)
        work /= work.max()
        if binary:  # a 0/1 mask, as NIST's black-and-white scans were
            work = (work >= P.INK_LEVEL).astype(float)
        if blur:
            work = _blurred(work, blur)
        if pen is not None:
            work = P.with_stroke_width(work, *pen)
        work = P.crop_to_ink(work)
        digit = P.fit(P.square(work) if square else work, P.BOX, mode="area")
    digit = P.crop_to_ink(digit / digit.max())
    if by_mass:
        return _flat(P.place_by_mass(digit))
    field = np.zeros((28, 28))  # the box's centre on the field's centre instead
    top, left = (28 - digit.shape[0]) // 2, (28 - digit.shape[1]) // 2
    field[top : top + digit.shape[0], left : left + digit.shape[1]] = digit
    return _flat(field)


def _blurred(work: np.ndarray, sigma: float) -> np.ndarray:
    """A Gaussian blur of `sigma` pixels, max kept at 1."""
    r = int(3 * sigma)
    g = torch.exp(-torch.arange(-r, r + 1.0) ** 2 / (2 * sigma**2))
    g = g / g.sum()
    t = F.pad(torch.from_numpy(work).float()[None, None], (r,) * 4)
    t = F.conv2d(F.conv2d(t, g.view(1, 1, 1, -1)), g.view(1, 1, -1, 1))[0, 0]
    return (t / t.max()).numpy().astype(np.float64)


VARIANTS = {  # name -> picture -> [784]; each step measured on its own
    "naive resize": P.naive_resize,
    "before: crop, bilinear to 20 px, mass": functools.partial(_steps, square=False, area=False, pen=None),
    "+ square box (narrow digits)": functools.partial(_steps, area=False, pen=None),
    "+ area anti-aliasing from 80 px": functools.partial(_steps, pen=None),
    "+ MNIST pen on a 0/1 mask": functools.partial(_steps, binary=True),
    "+ MNIST pen, 0.15 exactly": functools.partial(_steps, pen=(0.15, 0.15)),
    "+ MNIST pen, 0.12-0.16 (mnist_style)": P.mnist_style,
    "mnist_style, pen not squared": functools.partial(_steps, square=False),
    "mnist_style + blur (0.5 px at 20)": functools.partial(_steps, blur=2.0),
    "mnist_style, box centred, not mass": functools.partial(_steps, by_mass=False),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--augment", default="none", choices=["none", "affine", "affine+stroke"])
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS))
    args = parser.parse_args()
    torch.set_num_threads(1)
    models = [trained(seed, args.epochs, args.augment) for seed in args.seeds]
    results = {}
    for name in args.variants:
        x = foreign_digits.prepared(VARIANTS[name])
        tables = [foreign_digits.accuracy_by_kind(m, x=x)["accuracy"] for m in models]
        both = pd.concat(tables, axis=1)
        results[name] = {s: getattr(both, s)(axis=1).round(1).to_dict() for s in ("mean", "min", "max")}
        cells = "  ".join(f"{k} {m:5.1f} ({lo:.1f}-{hi:.1f})" for k, m, lo, hi in
                          zip(both.index, both.mean(axis=1), both.min(axis=1), both.max(axis=1), strict=True))
        print(f"{name:28s} {cells}", flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"results_{args.augment}_e{args.epochs}.json"
    path.write_text(json.dumps({"seeds": args.seeds, "epochs": args.epochs, "augment": args.augment,
                                "variants": results}, indent=1))


if __name__ == "__main__":
    main()
