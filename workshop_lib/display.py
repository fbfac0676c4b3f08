"""What a person watching training sees: a progress bar, one line per epoch, plain text when headless."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .network_trainer import History, NetworkTrainer


def headless() -> bool:
    """True when no live front end watches (CI, papermill runs): use plain text output."""
    return os.environ.get("WORKSHOP_HEADLESS", "").lower() in ("1", "true", "yes")


def progress_bar(iterable: Iterable, total: int, desc: str, enabled: bool = True):
    """tqdm's notebook bar in JupyterLab, plain text when headless, nothing when disabled."""
    if not enabled:
        return iterable
    if headless():
        from tqdm.std import tqdm

        return tqdm(iterable, total=total, desc=desc, file=sys.stdout, mininterval=5, ncols=80)
    from tqdm.auto import tqdm

    return tqdm(iterable, total=total, desc=desc, leave=False)


def print_epoch(trainer: NetworkTrainer, history: History) -> None:
    """A `NetworkTrainer` callback that prints one line per epoch."""
    line = (
        f"epoch {history.epochs:3d}  train loss {history.train_loss[-1]:.4f}  "
        f"val loss {history.val_loss[-1]:.4f}"
    )
    if history.val_accuracy:
        line += f"  train acc {history.train_accuracy[-1]:.2f}%  val acc {history.val_accuracy[-1]:.2f}%"
    print(line + f"  ({history.seconds[-1]:.1f} s)")
