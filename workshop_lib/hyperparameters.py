"""Hyperparameter runs: train one setting, a grid of settings, compare them in a table, a plot, a playground.

A setting is a dict such as `{"neurons": 256, "hidden_layers": 2, "activation": "relu",
"learning_rate": 1e-3}`; missing keys take the values of `DEFAULTS`.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure
from torch import nn

from .device import set_seed
from .fnn import ACTIVATIONS
from .layers import DeepFNN, count_parameters
from .network_trainer import History, NetworkTrainer, sum_correct_preds
from .network_user import NetworkUser
from .optim import make_adam

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
    settings: dict, data, epochs: int, seed: int = 0, device=None, callbacks=(), test: bool = False
) -> Run:
    """Train one setting from the same seed (weights and batch order), so runs differ only by it."""
    if not all(hasattr(data, name) for name in ("train_loader", "val_loader")):
        raise TypeError(f"data must be loaders such as FastDataLoaderFNN(...), got {type(data).__name__}.")
    if not isinstance(epochs, int) or isinstance(epochs, bool) or epochs < 1:
        raise ValueError(f"epochs must be a whole number >= 1, got {epochs!r}.")
    set_seed(seed)
    if hasattr(data.train_loader, "generator"):  # the fast loader: same batch order for every run
        data.train_loader.generator.manual_seed(seed)
    if device is None:  # where the fast loader holds the data, else the CPU
        device = getattr(getattr(data.train_loader, "images", None), "device", "cpu")
    model = build_model(settings).to(device)
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
    table = pd.DataFrame([run.summary() for run in runs])
    if table.empty:
        return table
    return table.sort_values("val_accuracy", ascending=False).reset_index(drop=True)


def plot_runs(runs: Iterable[Run], title: str = "") -> Figure:
    """Validation loss and accuracy per epoch, one curve per run, overlaid."""
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
    plt.close(fig)  # returned, not shown twice
    return fig


def plot_grid(table: pd.DataFrame, x: str, hue: str | None = None, y: str = "val_accuracy") -> Figure:
    """One hyperparameter on the x axis, optionally one line per value of another."""
    missing = [c for c in (x, hue, y) if c is not None and c not in table.columns]
    if missing:
        raise ValueError(f"The table has no column {missing}; its columns: {list(table.columns)}.")
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
    plt.close(fig)
    return fig


class Playground:
    """Sliders for the hyperparameters, a Train button, curves of every run overlaid.

    A thin layer over `train_setting` and `plot_runs`: `on_train(button)` is all a click does.
    """

    NEURONS = [16, 32, 64, 128, 256, 512]

    def __init__(self, data, epochs: int = 3, seed: int = 0, device=None):
        import ipywidgets as w

        self.data, self.seed, self.device = data, seed, device
        self.runs: list[Run] = []
        self.neurons = w.SelectionSlider(options=self.NEURONS, value=DEFAULTS["neurons"],
                                         description="neurons")
        self.hidden_layers = w.IntSlider(value=DEFAULTS["hidden_layers"], min=0, max=5, description="layers")
        self.activation = w.Dropdown(options=sorted(ACTIVATIONS), value=DEFAULTS["activation"],
                                     description="activation")
        self.learning_rate = w.FloatLogSlider(value=DEFAULTS["learning_rate"], base=10, min=-5, max=-1,
                                              step=0.5, description="learning rate")
        self.epochs = w.IntSlider(value=epochs, min=1, max=20, description="epochs")
        self.train_button = w.Button(description="Train", button_style="primary", icon="play")
        self.clear_button = w.Button(description="Clear runs", icon="trash")
        self.status = w.HTML()
        self.output = w.Output()
        self.train_button.on_click(self.on_train)
        self.clear_button.on_click(self.on_clear)
        controls = w.VBox([self.neurons, self.hidden_layers, self.activation, self.learning_rate, self.epochs,
                           w.HBox([self.train_button, self.clear_button]), self.status])
        self.widget = w.VBox([controls, self.output])

    def settings(self) -> dict:
        """The setting the controls show now."""
        return settings_of(neurons=self.neurons.value, hidden_layers=self.hidden_layers.value,
                           activation=self.activation.value, learning_rate=self.learning_rate.value)

    def on_train(self, _button=None) -> Run:
        """Train the shown setting, add it to the runs, redraw."""
        settings = self.settings()
        self.train_button.disabled = True
        self.status.value = f"training {run_name(settings)} ..."

        def report(trainer, history):
            self.status.value = (f"training {run_name(settings)}: epoch {history.epochs}/"
                                 f"{self.epochs.value}, val acc {history.val_accuracy[-1]:.2f}%")

        try:
            run = train_setting(settings, self.data, self.epochs.value, self.seed, self.device, [report])
        finally:
            self.train_button.disabled = False
        self.runs.append(run)
        self.status.value = f"{run.name}: val acc {run.history.val_accuracy[-1]:.2f}% ({len(self.runs)} runs)"
        self.redraw()
        return run

    def on_clear(self, _button=None) -> None:
        self.runs.clear()
        self.status.value = "no runs yet"
        self.redraw()

    def redraw(self) -> None:
        from IPython.display import display

        self.output.clear_output(wait=True)
        if self.runs:
            with self.output:
                display(plot_runs(self.runs[-8:]))  # the last 8: more curves are unreadable
                display(runs_table(self.runs)[["run", "parameters", "val_loss", "val_accuracy", "seconds"]])

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
