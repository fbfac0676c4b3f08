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


def label_problem(logits: torch.Tensor, y: torch.Tensor) -> str | None:
    """Plain words for labels a classification loss cannot take, or None when they look fine."""
    if not isinstance(y, torch.Tensor):
        return f"The labels should be a tensor of class numbers, got {type(y).__name__}."
    if y.is_floating_point() or y.dtype == torch.bool:
        return f"The labels should be integer class numbers (torch.long), got dtype {y.dtype}: use y.long()."
    if logits.dim() != 2 or y.dim() != 1 or len(y) != len(logits):
        return (f"Expected logits [B, C] and labels [B], got {list(logits.shape)} and {list(y.shape)}: "
                f"one label per image.")
    classes = logits.shape[1]
    if len(y) and (y.min() < 0 or y.max() >= classes):
        return (f"The labels must be class numbers 0..{classes - 1}, got values from {int(y.min())} to "
                f"{int(y.max())}. Check the data, or build the model with output_size={int(y.max()) + 1}.")
    return None


def loss_failure(logits, y, err: Exception) -> Exception:
    """The error to raise when the loss function fails: a clear ValueError if the labels are wrong."""
    problem = label_problem(logits, y)
    return ValueError(problem) if problem else err


def checked_loss(loss_fn, logits: torch.Tensor, y: torch.Tensor, look_first: bool | None = None):
    """`loss_fn(logits, y)`, with a clear ValueError for labels a classification loss cannot take.

    On a GPU a label outside 0..C-1 stops the loss kernel with a device-side assert, which breaks
    the CUDA context until the kernel restarts; so there (`look_first`) the labels are checked
    before the loss, at the cost of one sync per batch. On the CPU only when the loss fails.
    """
    if look_first is None:
        look_first = y.device.type != "cpu"
    if look_first and not y.is_floating_point() and logits.dim() == 2 and logits.shape[1] > 1:
        problem = label_problem(logits, y)
        if problem:
            raise ValueError(problem)
    try:
        return loss_fn(logits, y)
    except (IndexError, RuntimeError, ValueError) as err:  # maybe bad labels
        raise loss_failure(logits, y, err) from err


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
        if next(model.parameters(), None) is None:
            raise ValueError(f"{type(model).__name__} has no parameters to train: give it a layer.")
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

    def _check_finite(self, loss: float, batch: int | None) -> None:
        if math.isfinite(loss):
            return
        lr = self.optimizer.param_groups[0]["lr"]
        self.model.training_diverged = True  # NetworkUser.save refuses a model so marked
        where = f"training loss became {loss} in epoch {self.history.epochs + 1}, batch {batch}"
        if batch is None:  # the last step of the epoch left weights that give NaN/inf on the validation data
            where = f"validation loss became {loss} after epoch {self.history.epochs + 1}"
        raise TrainingDivergedError(
            f"The {where}. "
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
            loss = checked_loss(self.loss_fn, logits, y)  # mean over the batch; bad labels: a clear error
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
                total_loss += checked_loss(self.loss_fn, logits, y).item() * len(y)
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
        if not isinstance(epochs, int) or isinstance(epochs, bool) or epochs < 0:
            raise ValueError(f"epochs must be a whole number >= 0, e.g. train(5); got {epochs!r}.")
        try:
            for _ in range(epochs):
                start = time.perf_counter()
                train_loss, train_acc = self.train_epoch()
                val_loss, val_acc = self.validate_epoch()
                self._check_finite(val_loss, None)
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
