"""Using a trained network: save and load it safely, predict, evaluate, run it over a loader."""

from __future__ import annotations

import os
import pickle
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from .architectures import build_from_config
from .device import model_device

CHECKPOINT_FORMAT = "fnn-workshop-checkpoint/1"


class CheckpointError(RuntimeError):
    """A checkpoint cannot be loaded: unsafe, damaged, or for another architecture."""


@dataclass
class Evaluation:
    """A model's numbers on one loader."""

    loss: float  # mean per sample
    accuracy: float  # percent
    confusion: torch.Tensor  # [C, C] int64: rows true class, columns predicted class
    samples: int


def confusion_matrix(y_true: torch.Tensor, y_pred: torch.Tensor, num_classes: int) -> torch.Tensor:
    """`[C, C]` counts: entry (i, j) is how many of true class i were predicted as j."""
    flat = y_true.long() * num_classes + y_pred.long()
    return torch.bincount(flat, minlength=num_classes * num_classes).view(num_classes, num_classes)


@torch.no_grad()
def eval_outputs(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The model's outputs for a batch `x`, in eval mode, without gradients, on the model's device.

    Eval mode turns dropout off and makes BatchNorm use its running statistics; the model's
    mode is restored afterwards.
    """
    was_training = model.training
    model.eval()
    try:
        return model(x.to(model_device(model)))
    finally:
        model.train(was_training)


def loader_outputs(model: nn.Module, loader) -> Iterator[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """`(x, y, outputs)` for every batch of a loader, the outputs as `eval_outputs` gives them."""
    for x, y in loader:
        yield x, y, eval_outputs(model, x)


def _atomic_save(obj, path: Path) -> None:
    """Write to a temporary file in the same folder, then rename: never a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(obj, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_checkpoint(path: Path | str, map_location="cpu") -> dict:
    """Load a checkpoint with `weights_only=True`: tensors and plain data only, never code."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"No checkpoint at {path}. Save one first with NetworkUser.save.")
    try:
        checkpoint = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        raise CheckpointError(
            f"Refused to load {path}: it contains objects other than tensors and plain data, "
            f"which could run code when unpickled. Only load checkpoints you saved with "
            f"NetworkUser.save. ({str(err).splitlines()[0]})"
        ) from err
    except (RuntimeError, EOFError) as err:
        raise CheckpointError(f"{path} is not a readable checkpoint (damaged or truncated): {err}") from err
    if not isinstance(checkpoint, dict) or checkpoint.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(
            f"{path} is not a FNN Workshop checkpoint (expected a dict with format "
            f"{CHECKPOINT_FORMAT!r}). Save models with NetworkUser.save."
        )
    return checkpoint


def describe_mismatch(model: nn.Module, state_dict: dict) -> str:
    """Plain words for how a state dict differs from a model's parameters, layer by layer."""
    own = model.state_dict()
    lines = []
    for name in own.keys() - state_dict.keys():
        lines.append(f"  - {name}: in this model {list(own[name].shape)}, absent in the checkpoint")
    for name in state_dict.keys() - own.keys():
        lines.append(f"  - {name}: in the checkpoint {list(state_dict[name].shape)}, absent in this model")
    for name in own.keys() & state_dict.keys():
        if own[name].shape != state_dict[name].shape:
            lines.append(
                f"  - {name}: checkpoint has shape {list(state_dict[name].shape)}, "
                f"this model has {list(own[name].shape)}"
            )
    return "\n".join(sorted(lines))


class NetworkUser:
    """Wraps a trained model: save, load, predict, evaluate; it leaves the model in eval mode."""

    def __init__(self, model: nn.Module, device: torch.device | str | None = None):
        self.device = torch.device(device) if device is not None else model_device(model)
        self.model = model.to(self.device)

    def save(self, path: Path | str) -> Path:
        """Save parameters and the model's `config` atomically."""
        config = getattr(self.model, "config", None)
        state = {k: v.detach().cpu() for k, v in self.model.state_dict().items()}
        _atomic_save({"format": CHECKPOINT_FORMAT, "config": config, "state_dict": state}, Path(path))
        return Path(path)

    @classmethod
    def load(cls, path: Path | str, device: torch.device | str | None = None) -> NetworkUser:
        """Rebuild the saved architecture from its config and load its parameters."""
        checkpoint = read_checkpoint(path)
        if checkpoint["config"] is None:
            raise CheckpointError(
                f"{path} carries no architecture config; build the model yourself and call "
                f"NetworkUser(model).load_parameters(path)."
            )
        model = build_from_config(checkpoint["config"])
        user = cls(model, device or "cpu")
        user._load_state(checkpoint, path)
        return user

    def load_parameters(self, path: Path | str) -> None:
        """Load saved parameters into this (already built) model."""
        self._load_state(read_checkpoint(path), path)

    def _load_state(self, checkpoint: dict, path) -> None:
        mismatch = describe_mismatch(self.model, checkpoint["state_dict"])
        if mismatch:
            saved = checkpoint.get("config") or "no config"
            mine = getattr(self.model, "config", type(self.model).__name__)
            raise CheckpointError(
                f"The checkpoint {path} was saved from another architecture.\n{mismatch}\n"
                f"Saved: {saved}\nThis model: {mine}\n"
                f"Build the saved architecture, or use NetworkUser.load(path), which builds it."
            )
        self.model.load_state_dict(checkpoint["state_dict"])
        self.model.eval()

    def predict(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Predicted labels `[B]` and class probabilities `[B, C]` for a batch `[B, 784]`."""
        self.model.eval()
        probabilities = torch.softmax(eval_outputs(self.model, x), dim=1)
        return probabilities.argmax(dim=1), probabilities

    def evaluate(self, loader, loss_fn: nn.Module | None = None) -> Evaluation:
        """Loss per sample, accuracy and confusion matrix over a whole loader."""
        loss_fn = loss_fn or nn.CrossEntropyLoss()
        self.model.eval()
        total_loss, labels, preds = 0.0, [], []
        for _, y, logits in loader_outputs(self.model, loader):  # logits [B, C]
            y = y.to(self.device)
            total_loss += loss_fn(logits, y).item() * len(y)
            labels.append(y.cpu())
            preds.append(logits.argmax(dim=1).cpu())
        y_true, y_pred = torch.cat(labels), torch.cat(preds)
        num_classes = logits.shape[1]
        return Evaluation(
            loss=total_loss / len(y_true),
            accuracy=100.0 * (y_true == y_pred).float().mean().item(),
            confusion=confusion_matrix(y_true, y_pred, num_classes),
            samples=len(y_true),
        )
