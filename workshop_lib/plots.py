"""Pictures of the data and the training: images, label counts, loss curves, confusion matrices, runs.

Every function returns a closed matplotlib Figure: it shows once when it is the last expression
of a cell (or with `display(fig)`), and `fig.savefig(...)` works as usual.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import torch
from matplotlib.figure import Figure

from .display import headless
from .network_trainer import History

if TYPE_CHECKING:
    from .experiments import Run

MISTAKE_COLOR = "crimson"  # a wrong prediction, in every plot and widget


def figure_png(fig: Figure, dpi: int = 80) -> bytes:
    """A figure as PNG bytes, for IPython's `_repr_png_` and image widgets."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def _numpy(values) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        return values.detach().cpu().numpy()
    return np.asarray(values)


def _closed(fig: Figure) -> Figure:
    """Detach from pyplot so the inline backend does not show it a second time."""
    plt.close(fig)
    return fig


def as_images(images) -> np.ndarray:
    """`[N, 784]` or `[N, 28, 28]` (or `[N, 1, 28, 28]`) tensors/arrays -> a numpy `[N, 28, 28]`."""
    array = _numpy(images).astype(np.float32)
    if array.ndim == 4 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim == 2 and array.shape[1] == 28 * 28:
        array = array.reshape(-1, 28, 28)
    if array.ndim == 1 and array.size == 28 * 28:
        array = array.reshape(1, 28, 28)
    if array.ndim != 3:
        raise ValueError(
            f"Expected images shaped [N, 784] or [N, 28, 28], got {tuple(array.shape)}. "
            f"Pass a batch, e.g. x[:12], not a single value."
        )
    return array


def show_images(images, labels=None, predictions=None, ncols: int = 6) -> Figure:
    """A grid of digits titled "label 5", or "true 5 / pred 3" with mistakes in red."""
    pictures = as_images(images)
    n = len(pictures)
    if n == 0:
        raise ValueError("No images to show: the batch is empty.")
    labels = None if labels is None else _numpy(labels).reshape(-1)
    predictions = None if predictions is None else _numpy(predictions).reshape(-1)
    for name, values in (("labels", labels), ("predictions", predictions)):
        if values is not None and len(values) != n:
            raise ValueError(f"{n} images but {len(values)} {name}: give one per image.")
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.6 * ncols, 1.8 * nrows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= n:
            continue
        ax.imshow(pictures[i], cmap="gray")
        if predictions is not None:
            true = "?" if labels is None else int(labels[i])
            wrong = labels is not None and int(labels[i]) != int(predictions[i])
            ax.set_title(f"true {true} / pred {int(predictions[i])}", fontsize=9,
                         color=MISTAKE_COLOR if wrong else "black", fontweight="bold" if wrong else None)
        elif labels is not None:
            ax.set_title(f"label {int(labels[i])}", fontsize=9)
    fig.tight_layout()
    return _closed(fig)


def _labels_of(split) -> np.ndarray:
    """Labels from a tensor, an array, a list, or a loader of (x, y) batches."""
    if isinstance(split, (torch.Tensor, np.ndarray, list, tuple)):
        return _numpy(split).reshape(-1)
    return np.concatenate([_numpy(y).reshape(-1) for _, y in split])


def plot_label_distribution(splits: dict, stat: str = "fraction") -> Figure:
    """Bars per digit for each split side by side; `stat` is "fraction" (default) or "count"."""
    if stat not in ("fraction", "count"):
        raise ValueError(f'stat must be "fraction" or "count", got {stat!r}.')
    if not splits:
        raise ValueError('Give at least one split, e.g. {"train": y_train}.')
    rows = []
    for name, split in splits.items():
        labels = _labels_of(split).astype(int)
        if len(labels) == 0:
            raise ValueError(f"The split {name!r} has no labels.")
        counts = np.bincount(labels, minlength=10)
        values = counts / counts.sum() if stat == "fraction" else counts
        rows += [{"digit": d, stat: v, "split": f"{name} ({len(labels):,})"} for d, v in enumerate(values)]
    fig, ax = plt.subplots(figsize=(8, 3.5))
    sns.barplot(data=pd.DataFrame(rows), x="digit", y=stat, hue="split", ax=ax)
    ax.set_title("How often each digit occurs")
    sns.move_legend(ax, "upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    if stat == "fraction":
        ax.axhline(0.1, color="gray", linestyle=":", linewidth=1)  # perfectly balanced classes
    fig.tight_layout()
    return _closed(fig)


def _draw_history(fig: Figure, history) -> None:
    """Loss curves (and accuracy curves when recorded) on `fig`, one panel each."""
    h = history.as_dict() if isinstance(history, History) else dict(history)
    has_accuracy = bool(h.get("val_accuracy"))
    axes = fig.subplots(1, 2 if has_accuracy else 1, squeeze=False)[0]
    panels = [("loss", "train_loss", "val_loss")]
    if has_accuracy:
        panels.append(("accuracy (%)", "train_accuracy", "val_accuracy"))
    for ax, (name, train_key, val_key) in zip(axes, panels):
        for key, label, style in ((train_key, "train", "o-"), (val_key, "validation", "s--")):
            values = h.get(key) or []
            ax.plot(range(1, len(values) + 1), values, style, label=label, markersize=4)
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
        ax.legend()
        ax.xaxis.get_major_locator().set_params(integer=True)
    fig.tight_layout()


def plot_history(history) -> Figure:
    """Train and validation loss per epoch, and accuracy when the history has it."""
    h = history.as_dict() if isinstance(history, History) else dict(history)
    if not h.get("train_loss"):
        raise ValueError("The history is empty: train for at least one epoch first.")
    fig = plt.figure(figsize=(10 if h.get("val_accuracy") else 5, 3.5))
    _draw_history(fig, history)
    return _closed(fig)


class TrainingCurves:
    """A snapshot of the curves that IPython shows as a PNG (plain text says how many epochs)."""

    def __init__(self, history):
        self.epochs = len(history.train_loss)
        self.figure = Figure(figsize=(10 if history.val_accuracy else 5, 3.5))
        _draw_history(self.figure, history)

    def _repr_png_(self) -> bytes:
        return figure_png(self.figure)

    def __repr__(self) -> str:
        return f"<training curves after {self.epochs} epoch{'s' if self.epochs != 1 else ''}>"


class LiveCurves:
    """A `NetworkTrainer` callback that redraws the loss (and accuracy) curves after every epoch.

    In JupyterLab the plot is updated in place (one display handle, no flicker, no pile of plots).
    Headless (papermill, nbval, CI: `WORKSHOP_HEADLESS=1`) it shows ONE static figure of the final
    curves when the cell finishes. Outside IPython it only keeps `self.curves`.
    """

    def __init__(self):
        self.curves: TrainingCurves | None = None
        self._handle = None
        self._handle_cell = None  # the execution count of the cell that owns the handle
        self._pending = False

    def __call__(self, trainer, history: History) -> None:
        from IPython import get_ipython

        self.curves = TrainingCurves(history)
        shell = get_ipython()
        if shell is None:
            return
        if headless():
            if not self._pending:  # show once, after the cell's last epoch
                self._pending = True
                shell.events.register("post_execute", self._show_final)
            return
        self._update_live(shell)

    def _update_live(self, shell) -> None:
        from IPython.display import display

        cell = shell.execution_count
        if self._handle is None or self._handle_cell != cell:  # a new cell gets its own plot
            self._handle = display(self.curves, display_id=True)
            self._handle_cell = cell
        else:
            self._handle.update(self.curves)

    def _show_final(self) -> None:
        from IPython import get_ipython
        from IPython.display import display

        get_ipython().events.unregister("post_execute", self._show_final)
        self._pending = False
        display(self.curves)


def plot_confusion_matrix(confusion, class_names=None, hide_diagonal: bool = False) -> Figure:
    """A heatmap of counts: rows are the true class, columns the predicted class.

    `confusion` is a `[C, C]` tensor/array or an `Evaluation`; `hide_diagonal=True` blanks the
    correct predictions so the colours show only the mistakes.
    """
    matrix = _numpy(getattr(confusion, "confusion", confusion))
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"Expected a square [C, C] confusion matrix, got shape {tuple(matrix.shape)}.")
    n = matrix.shape[0]
    names = [str(i) for i in range(n)] if class_names is None else [str(c) for c in class_names]
    if len(names) != n:
        raise ValueError(f"{len(names)} class names for a {n}x{n} matrix.")
    mask = np.eye(n, dtype=bool) if hide_diagonal else None
    fig, ax = plt.subplots(figsize=(0.6 * n + 2, 0.55 * n + 1.2))
    sns.heatmap(matrix.astype(int), annot=True, fmt="d", cmap="Blues", mask=mask, cbar=True, square=True,
                xticklabels=names, yticklabels=names, ax=ax, annot_kws={"fontsize": 8})
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    total = matrix.sum()
    accuracy = np.trace(matrix) / total if total else float("nan")
    ax.set_title(f"{int(total):,} images, {100 * accuracy:.2f} % on the diagonal")
    fig.tight_layout()
    return _closed(fig)


def plot_runs(runs: Iterable[Run], title: str = "") -> Figure:
    """Validation loss and accuracy per epoch, one curve per run (`experiments.Run`), overlaid."""
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 3.8))
    for run in runs:
        epochs = range(1, run.history.epochs + 1)
        (line,) = ax_loss.plot(epochs, run.history.val_loss, marker=".", label=run.name)
        ax_loss.plot(epochs, run.history.train_loss, ls=":", color=line.get_color())
        ax_acc.plot(epochs, run.history.val_accuracy, marker=".", color=line.get_color(), label=run.name)
    ax_loss.set(xlabel="epoch", ylabel="loss (dotted: training)", title="validation loss")
    ax_acc.set(xlabel="epoch", ylabel="accuracy (%)", title="validation accuracy")
    ax_acc.legend(fontsize=8, loc="lower right")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return _closed(fig)


def plot_grid(table: pd.DataFrame, x: str, hue: str | None = None, y: str = "val_accuracy") -> Figure:
    """A `runs_table` column on the x axis, optionally one line per value of another column."""
    fig, ax = plt.subplots(figsize=(6, 3.8))
    groups = table.groupby(hue) if hue else [("all", table)]
    for value, part in groups:
        part = part.sort_values(x)
        ax.plot(part[x].astype(str), part[y], marker="o", label=f"{hue}={value}" if hue else None)
    ax.set(xlabel=x, ylabel=y.replace("_", " ") + (" (%)" if "accuracy" in y else ""))
    if hue:
        ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return _closed(fig)
