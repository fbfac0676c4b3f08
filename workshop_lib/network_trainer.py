"""The generic gym: trains any `nn.Module` epoch by epoch and keeps a history."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import torch
from torch import nn

from .device import model_device
from .display import progress_bar


class TrainingDivergedError(RuntimeError):
    """The loss became NaN or infinite."""


@dataclass
class History:
    """Per-epoch numbers; accuracies (percent) stay empty without `sum_correct_preds`."""

    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    interrupted: bool = False

    @property
    def epochs(self) -> int:
        return len(self.train_loss)

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "interrupted"}


class NetworkTrainer:
    """Trains `model` with `loss_fn` and `optimizer` on a train loader, validates on another.

    `sum_correct_preds(logits, y) -> int` turns on accuracy; `regularization(model) -> tensor`
    is added to the training loss (not to the reported one, so curves stay comparable).
    `callbacks` are called as `callback(trainer, history)` after every epoch.
    """

    def __init__(
        self,
        model: nn.Module,
        loss_fn: nn.Module,
        optimizer: torch.optim.Optimizer,
        train_loader,
        val_loader,
        device: torch.device | str | None = None,
        sum_correct_preds: Callable[[torch.Tensor, torch.Tensor], int] | None = None,
        regularization: Callable[[nn.Module], torch.Tensor] | None = None,
        callbacks: Iterable[Callable] = (),
        progress: bool = True,
    ):
        self.device = torch.device(device) if device is not None else model_device(model)
        self.model = model.to(self.device)
        self.loss_fn = loss_fn
        self.optimizer = optimizer
        self.train_loader = train_loader
        self.val_loader = val_loader
        self.sum_correct_preds = sum_correct_preds
        self.regularization = regularization
        self.callbacks = list(callbacks)
        self.progress = progress
        self.history = History()

    def _check_finite(self, loss: float, batch: int) -> None:
        if math.isfinite(loss):
            return
        lr = self.optimizer.param_groups[0]["lr"]
        raise TrainingDivergedError(
            f"The training loss became {loss} in epoch {self.history.epochs + 1}, batch {batch}. "
            f"The learning rate ({lr:g}) is most likely too high: lower it (e.g. to {lr / 10:g}), "
            f"re-create the model and the optimizer, and train again."
        )

    def train_epoch(self) -> tuple[float, float | None]:
        """One pass over the training data; returns (loss per sample, accuracy in % or None)."""
        self.model.train()
        total_loss, total_correct, total_samples = 0.0, 0, 0
        batches = progress_bar(
            self.train_loader, len(self.train_loader), f"epoch {self.history.epochs + 1}",
            self.progress,
        )
        for batch, (x, y) in enumerate(batches, start=1):
            x, y = x.to(self.device), y.to(self.device)  # [B, 784], [B]
            self.optimizer.zero_grad()
            logits = self.model(x)  # [B, 10]
            loss = self.loss_fn(logits, y)  # mean over the batch
            reported = loss.item()
            self._check_finite(reported, batch)
            if self.regularization is not None:
                loss = loss + self.regularization(self.model)
            loss.backward()
            self.optimizer.step()

            total_loss += reported * len(y)  # back to a sum, so the epoch mean is per sample
            total_samples += len(y)
            if self.sum_correct_preds is not None:
                total_correct += int(self.sum_correct_preds(logits.detach(), y))
        return self._averages(total_loss, total_correct, total_samples)

    def validate_epoch(self) -> tuple[float, float | None]:
        """One pass over the validation data in eval mode, without gradients."""
        self.model.eval()  # dropout off, BatchNorm uses its running statistics
        total_loss, total_correct, total_samples = 0.0, 0, 0
        with torch.no_grad():  # no graph is built: less memory, less time
            for x, y in self.val_loader:
                x, y = x.to(self.device), y.to(self.device)
                logits = self.model(x)
                total_loss += self.loss_fn(logits, y).item() * len(y)
                total_samples += len(y)
                if self.sum_correct_preds is not None:
                    total_correct += int(self.sum_correct_preds(logits, y))
        self.model.train()
        return self._averages(total_loss, total_correct, total_samples)

    def _averages(self, loss: float, correct: int, samples: int) -> tuple[float, float | None]:
        if samples == 0:
            raise ValueError("The data loader yielded no samples; check the subset size.")
        accuracy = 100.0 * correct / samples if self.sum_correct_preds is not None else None
        return loss / samples, accuracy

    def train(self, epochs: int) -> History:
        """Train for `epochs` more epochs; Ctrl-C stops cleanly and keeps what was learnt."""
        try:
            for _ in range(epochs):
                start = time.perf_counter()
                train_loss, train_acc = self.train_epoch()
                val_loss, val_acc = self.validate_epoch()
                self._record(train_loss, val_loss, train_acc, val_acc, time.perf_counter() - start)
        except KeyboardInterrupt:
            self.model.train()
            self.history.interrupted = True
            print(
                f"Training interrupted after {self.history.epochs} complete epoch(s); "
                f"the model and the history so far are kept."
            )
        return self.history

    def _record(self, train_loss, val_loss, train_acc, val_acc, seconds) -> None:
        h = self.history
        h.train_loss.append(train_loss)
        h.val_loss.append(val_loss)
        h.seconds.append(seconds)
        if train_acc is not None:
            h.train_accuracy.append(train_acc)
            h.val_accuracy.append(val_acc)
        for callback in self.callbacks:
            callback(self, h)


def sum_correct_preds(logits: torch.Tensor, y: torch.Tensor) -> int:
    """How many predictions (argmax of the logits `[B, C]`) equal the labels `[B]`."""
    return (logits.argmax(dim=1) == y).sum().item()
