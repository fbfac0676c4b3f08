"""Digit pictures from outside MNIST (fonts, UCI handwriting, pens of many kinds), to test what a model
reads in pictures it was not trained on. Provenance and licences: `README.md` in this folder.

`load()` gives the pictures as people bring them (dark on light, 64 x 64, the digit anywhere);
`accuracy_by_kind(model)` is the accuracy of any model on them, per kind of picture.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from ..network_user import eval_outputs
from ..preprocessing import mnist_style

FILE = Path(__file__).resolve().parent / "foreign_digits.npz"


@dataclass(frozen=True)
class ForeignDigits:
    """`images [N, 64, 64]` uint8 (255 = white paper), `labels [N]`, `kinds [N]` (a kind's name each)."""

    images: np.ndarray
    labels: np.ndarray
    kinds: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)


@lru_cache(maxsize=1)
def load() -> ForeignDigits:
    """The whole set, read once from the file that ships with the package."""
    with np.load(FILE) as f:
        kinds = f["kind_names"][f["kinds"]]
        return ForeignDigits(f["images"], f["labels"].astype(np.int64), kinds)


def kind_names() -> list[str]:
    """The kinds of pictures, in the set's order."""
    return list(dict.fromkeys(load().kinds.tolist()))


def prepared(prepare: Callable = mnist_style, normalize: bool = False) -> torch.Tensor:
    """`[N, 784]`: every picture of the set passed through `prepare` (with MNIST's mean and std when
    `normalize`, for a model trained on normalized images)."""
    kwargs = {}
    if normalize:
        from ..data import mnist_mean_std

        kwargs = dict(zip(("mean", "std"), mnist_mean_std(), strict=True))
    return torch.stack([prepare(image, **kwargs) for image in load().images])


def predictions(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """`[N]` classes the model reads in prepared images `x [N, 784]` (moved to the model's device)."""
    return torch.cat([eval_outputs(model, batch).argmax(dim=1).cpu() for batch in x.split(512)])


def accuracy_by_kind(model: torch.nn.Module, normalize: bool = False, prepare: Callable = mnist_style,
                     x: torch.Tensor | None = None) -> pd.DataFrame:
    """Accuracy (%) of `model` on the foreign pictures, one row per kind and a last row "all".

    `prepare` turns a picture into `[784]` (default: `mnist_style`); `normalize` as for `prepared`;
    `x`: the prepared images, when already at hand (they are then not prepared again).
    Columns: `pictures`, `correct`, `accuracy`.
    """
    digits = load()
    if x is None:
        x = prepared(prepare, normalize)
    right = (predictions(model, x).numpy() == digits.labels)  # [N] bool
    rows = {}
    for kind in kind_names() + ["all"]:
        chosen = right if kind == "all" else right[digits.kinds == kind]
        rows[kind] = {"pictures": len(chosen), "correct": int(chosen.sum()), "accuracy": 100 * chosen.mean()}
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "kind"
    return table
