"""Hyperparameter experiments: train one setting or a grid of settings from one seed, tabulate the runs.

A setting is a dict such as `{"neurons": 256, "hidden_layers": 2, "activation": "relu",
"learning_rate": 1e-3}`; missing keys take the values of `DEFAULTS`. The views live elsewhere:
`plots.plot_runs` and `plots.plot_grid` draw runs, `widgets.Playground` trains them from sliders.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from torch import nn

from .device import set_seed
from .fnn import ACTIVATIONS
from .layers import DeepFNN, count_parameters
from .network_trainer import History, NetworkTrainer, sum_correct_preds
from .network_user import NetworkUser
from .optim import make_adam

if TYPE_CHECKING:
    import pandas as pd

DEFAULTS = {"neurons": 256, "hidden_layers": 2, "activation": "relu", "learning_rate": 1e-3}


@dataclass
class Run:
    """One trained setting: its numbers and its model."""

    name: str
    settings: dict
    history: History
    model: nn.Module = field(repr=False)
    test_accuracy: float | None = None

    def summary(self) -> dict:
        h = self.history
        return {
            "run": self.name,
            **self.settings,
            "parameters": count_parameters(self.model),
            "epochs": h.epochs,
            "train_loss": h.train_loss[-1],
            "val_loss": h.val_loss[-1],
            "train_accuracy": h.train_accuracy[-1],
            "val_accuracy": h.val_accuracy[-1],
            "best_val_accuracy": max(h.val_accuracy),
            "seconds": sum(h.seconds),
        }


def settings_of(**overrides) -> dict:
    """`DEFAULTS` with some values replaced; unknown names are refused."""
    unknown = set(overrides) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"Unknown hyperparameter(s) {sorted(unknown)}; known: {sorted(DEFAULTS)}.")
    settings = {**DEFAULTS, **overrides}
    for name in ("neurons", "hidden_layers"):
        value = settings[name]
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"{name} must be a whole number, got {value!r}.")
        if value < (1 if name == "neurons" else 0):
            raise ValueError(f"{name} must be positive, got {value}.")
    lr = settings["learning_rate"]
    if not isinstance(lr, (int, float)) or isinstance(lr, bool):
        raise TypeError(f"learning_rate must be a number (e.g. 1e-3), got {lr!r}.")
    if not lr > 0:
        raise ValueError(f"learning_rate must be positive (e.g. 1e-3), got {lr}.")
    if settings["activation"] not in ACTIVATIONS:
        raise ValueError(f"Unknown activation {settings['activation']!r}; choose from {sorted(ACTIVATIONS)}.")
    return settings


def grid(**options: Iterable) -> list[dict]:
    """Every combination: `grid(neurons=[64, 256], activation=["relu", "tanh"])` gives 4 settings."""
    for name, values in options.items():
        if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
            raise TypeError(f"Give a list of values for {name!r}, e.g. {name}=[{values!r}], got {values!r}.")
    names = list(options)
    combos = itertools.product(*options.values())
    return [settings_of(**dict(zip(names, combo, strict=True))) for combo in combos]


def build_model(settings: dict) -> DeepFNN:
    """The network a setting describes: `hidden_layers` layers of `neurons` each."""
    s = settings_of(**settings)
    return DeepFNN([s["neurons"]] * s["hidden_layers"], activation=s["activation"])


def run_name(settings: dict) -> str:
    s = settings_of(**settings)
    return f"{s['hidden_layers']}x{s['neurons']} {s['activation']} lr={s['learning_rate']:g}"


def train_setting(
    settings: dict, data, epochs: int, seed: int = 0, device=None, callbacks=(), test: bool = False,
    build: Callable[[dict], nn.Module] = build_model,
) -> Run:
    """Train one setting from the same seed (weights and batch order), so runs differ only by it.

    `data` is a `DataLoaderFNN` or `FastDataLoaderFNN`; `device` defaults to where it holds the data;
    `build` makes the network from the complete settings (e.g. with the learner's own layers).
    """
    if not all(hasattr(data, name) for name in ("train_loader", "val_loader")):
        raise TypeError(f"data must be loaders such as FastDataLoaderFNN(...), got {type(data).__name__}.")
    if not isinstance(epochs, int) or isinstance(epochs, bool) or epochs < 1:
        raise ValueError(f"epochs must be a whole number >= 1, got {epochs!r}.")
    set_seed(seed)
    data.reseed(seed)  # the same batch order for every run
    device = data.device if device is None else device
    model = build(settings_of(**settings)).to(device)
    optimizer = make_adam(model.parameters(), lr=settings_of(**settings)["learning_rate"])
    trainer = NetworkTrainer(model, nn.CrossEntropyLoss(), optimizer, data.train_loader, data.val_loader,
                             device, sum_correct_preds=sum_correct_preds, callbacks=callbacks, progress=False)
    history = trainer.train(epochs)
    run = Run(run_name(settings), settings_of(**settings), history, model)
    if test:
        run.test_accuracy = NetworkUser(model).evaluate(data.test_loader).accuracy
    return run


def run_grid(
    settings: Iterable[dict], data, epochs: int, seed: int = 0, device=None, verbose: bool = True
) -> list[Run]:
    """Train every setting in turn; prints one line per finished run."""
    runs = []
    for s in settings:
        start = time.perf_counter()
        run = train_setting(s, data, epochs, seed, device)
        runs.append(run)
        if verbose:
            print(f"{run.name:32s} val acc {run.history.val_accuracy[-1]:6.2f}%  "
                  f"({time.perf_counter() - start:.1f} s)")
    return runs


def runs_table(runs: Iterable[Run]) -> pd.DataFrame:
    """One row per run, best validation accuracy first."""
    import pandas as pd  # here, not at the top: the checks import `grid` and need no pandas

    table = pd.DataFrame([run.summary() for run in runs])
    if table.empty:
        return table
    return table.sort_values("val_accuracy", ascending=False).reset_index(drop=True)
