"""Using a trained network: save and load it safely, predict, evaluate, run it over a loader."""

from __future__ import annotations

import glob
import hashlib
import json
import math
import os
import pickle
import re
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from .architectures import build_from_config
from .device import model_device
from .fnn import MAX_HIDDEN_LAYERS
from .fnn import MAX_PARAMETERS as MAX_CONFIG_PARAMETERS
from .network_trainer import checked_loss

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
    for name, values in (("y_true", y_true), ("y_pred", y_pred)):
        if len(values) and (values.min() < 0 or values.max() >= num_classes):
            raise ValueError(f"{name} holds classes from {int(values.min())} to {int(values.max())}, "
                             f"outside 0..{num_classes - 1}. Check num_classes.")
    if len(y_true) != len(y_pred):
        raise ValueError(f"{len(y_true)} true labels but {len(y_pred)} predictions: give one per image.")
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


STALE_TMP_SECONDS = 3600  # a temporary file untouched this long belongs to no running save


def _umask() -> int:
    """The process's umask; read from /proc where possible, since setting it races with other threads."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _pid_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _remove_stale_tmp(path: Path) -> None:
    """Delete temporary files left by earlier saves of `path` that were killed mid-write."""
    pattern = re.compile(rf"^\.{re.escape(path.name)}\.(\d+)-[^.]*\.tmp$")
    for tmp in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        match = pattern.match(tmp.name)
        if match is None:
            continue
        try:
            old = time.time() - tmp.stat().st_mtime > STALE_TMP_SECONDS
            if old or not _pid_running(int(match.group(1))):
                tmp.unlink()
        except OSError:  # gone already, or not ours to delete
            pass


def _atomic_save(obj, path: Path) -> None:
    """Write to a temporary file in the same folder, then rename: never a half-written file."""
    if path.is_dir():
        raise CheckpointError(f"{path} is a folder; give a file name, e.g. {path / 'model.pt'}.")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale_tmp(path)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}-", suffix=".tmp")
    except OSError as err:
        raise CheckpointError(
            f"Cannot write a checkpoint into {path.parent} ({err.strerror or err}). "
            f"Choose a folder you can write to."
        ) from err
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(obj, f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; a checkpoint is shared like any file
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def weights_digest(config, state_dict: dict) -> str:
    """SHA-256 of the config and every tensor (name, dtype, shape, bytes): any change shows."""
    digest = hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode())
    for name in sorted(state_dict):
        tensor = state_dict[name].detach().cpu().contiguous()
        digest.update(f"{name}|{tensor.dtype}|{list(tensor.shape)}|".encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def _what_file(head: bytes) -> str | None:
    """Plain words for a file that is clearly not a checkpoint, from its first bytes."""
    if not head:
        return "an empty file"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"\x80"):
        return None  # torch's zip format or a legacy pickle: let torch.load decide
    known = {b"\x89PNG": "a PNG picture", b"\xff\xd8\xff": "a JPEG picture", b"GIF8": "a GIF picture",
             b"%PDF": "a PDF document", b"\x1f\x8b": "a gzip file", b"{": "a JSON or text file"}
    for magic, words in known.items():
        if head.startswith(magic):
            return words
    try:
        head.decode("utf-8")
        return "a text file"
    except UnicodeDecodeError:
        return "not in the checkpoint format"


def read_checkpoint(path: Path | str, map_location="cpu") -> dict:
    """Load a checkpoint with `weights_only=True`: tensors and plain data only, never code."""
    path = Path(path)
    if path.is_dir():
        raise CheckpointError(f"{path} is a folder, not a checkpoint file. Give the path of a .pt file.")
    if not path.exists():
        raise FileNotFoundError(f"No checkpoint at {path}. Save one first with NetworkUser.save.")
    if path.stat().st_size > 4 * MAX_CONFIG_PARAMETERS + 2**24:  # float32 weights of the largest model
        raise CheckpointError(
            f"{path} is {path.stat().st_size / 2**20:,.0f} MB, larger than any workshop model's checkpoint; "
            f"refused unread. Load only checkpoints saved from workshop models."
        )
    try:
        with open(path, "rb") as f:
            kind = _what_file(f.read(16))
    except OSError as err:
        raise CheckpointError(f"Cannot read {path} ({err.strerror or err}). Check its permissions.") from err
    if kind is not None:
        raise CheckpointError(
            f"{path} is not a checkpoint: it is {kind}. Give the .pt file written by NetworkUser.save."
        )
    try:
        checkpoint = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        raise CheckpointError(
            f"Refused to load {path}: it contains objects other than tensors and plain data, "
            f"which could run code when unpickled. Only load checkpoints you saved with "
            f"NetworkUser.save. ({str(err).splitlines()[0]})"
        ) from err
    except Exception as err:  # torch's reader fails in many ways on a damaged file
        raise CheckpointError(
            f"{path} is not a readable checkpoint (damaged or truncated: {type(err).__name__}). "
            f"Save the model again with NetworkUser.save."
        ) from err
    if not isinstance(checkpoint, dict) or checkpoint.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(
            f"{path} is not a FNN Workshop checkpoint (expected a dict with format "
            f"{CHECKPOINT_FORMAT!r}). Save models with NetworkUser.save."
        )
    state = checkpoint.get("state_dict")
    if not isinstance(state, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()
    ):
        raise CheckpointError(f"{path} has no valid state_dict (names -> tensors). Save the model again.")
    if len(state) > 10 * MAX_HIDDEN_LAYERS:  # at most 7 tensors a layer: weight, bias and BatchNorm's 5
        raise CheckpointError(f"{path} holds {len(state):,} tensors, more than any workshop model; refused.")
    numbers = sum(v.numel() for v in state.values())
    if numbers > MAX_CONFIG_PARAMETERS:  # checked before anything reads them
        raise CheckpointError(
            f"{path} holds {numbers:,} numbers, more than any workshop model ({MAX_CONFIG_PARAMETERS:,}); "
            f"refused. Load only checkpoints saved from workshop models."
        )
    if "sha256" not in checkpoint:
        raise CheckpointError(
            f"{path} carries no digest of its weights, so a change cannot be ruled out. "
            f"Save the model again with NetworkUser.save."
        )
    if checkpoint["sha256"] != weights_digest(checkpoint.get("config"), state):
        raise CheckpointError(
            f"{path} was changed after it was saved: its weights or config no longer match the "
            f"digest stored with them. Save the model again, or restore the original file."
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


def build_checked(checkpoint: dict, path) -> nn.Module:
    """Build the checkpoint's architecture, after checking it on the `meta` device (no memory)."""
    config = checkpoint["config"]
    if not isinstance(config, dict):
        raise CheckpointError(f"{path} has a config that is not a dict: {type(config).__name__}. Save again.")
    try:
        with torch.device("meta"):  # shapes only: a config claiming a huge model costs nothing here
            outline = build_from_config(config)
    except Exception as err:
        raise CheckpointError(f"{path} has a config no model can be built from ({err}). Save again.") from err
    mismatch = describe_mismatch(outline, checkpoint["state_dict"])
    if mismatch:
        raise CheckpointError(f"The config in {path} does not match its weights:\n{mismatch}\nSave it again.")
    size = sum(p.numel() for p in outline.parameters())
    if size > MAX_CONFIG_PARAMETERS:
        raise CheckpointError(
            f"{path} describes a model of {size:,} parameters, more than {MAX_CONFIG_PARAMETERS:,}; "
            f"refused. Load only checkpoints saved from workshop models."
        )
    return build_from_config(config)


class NetworkUser:
    """Wraps a trained model: save, load, predict, evaluate; it leaves the model in eval mode."""

    def __init__(self, model: nn.Module, device: torch.device | str | None = None):
        if not isinstance(model, nn.Module):
            raise TypeError(f"NetworkUser wraps a torch nn.Module (e.g. FNN()), got {type(model).__name__}.")
        if next(model.parameters(), None) is None:
            raise ValueError(f"{type(model).__name__} has no parameters: there is nothing to save or use.")
        try:
            self.device = torch.device(device) if device is not None else model_device(model)
        except (RuntimeError, TypeError) as err:
            raise ValueError(f"Unknown device {device!r}: use 'cpu', 'cuda' or select_device().") from err
        self.model = model.to(self.device)

    def save(self, path: Path | str) -> Path:
        """Save parameters and the model's `config` atomically."""
        config = getattr(self.model, "config", None)
        state = {k: v.detach().cpu() for k, v in self.model.state_dict().items()}
        broken = [k for k, v in state.items() if v.is_floating_point() and not torch.isfinite(v).all()]
        if broken or getattr(self.model, "training_diverged", False):
            what = (f"{', '.join(broken)} hold NaN or infinite values" if broken
                    else "its training diverged (a NaN or infinite loss)")
            raise CheckpointError(
                f"Not saved: {what}. Lower the learning rate, train a fresh model and save that."
            )
        digest = weights_digest(config, state)
        _atomic_save(
            {"format": CHECKPOINT_FORMAT, "config": config, "state_dict": state, "sha256": digest}, Path(path)
        )
        return Path(path)

    @classmethod
    def load(cls, path: Path | str, device: torch.device | str | None = None) -> NetworkUser:
        """Rebuild the saved architecture from its config and load its parameters."""
        checkpoint = read_checkpoint(path)
        if checkpoint.get("config") is None:
            raise CheckpointError(
                f"{path} carries no architecture config; build the model yourself and call "
                f"NetworkUser(model).load_parameters(path)."
            )
        model = build_checked(checkpoint, path)
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
            total_loss += checked_loss(loss_fn, logits, y).item() * len(y)  # bad labels: a clear error
            labels.append(y.cpu())
            preds.append(logits.argmax(dim=1).cpu())
        if not labels or sum(len(y) for y in labels) == 0:
            raise ValueError("The loader yielded no samples: nothing to evaluate. Check the subset size.")
        if not math.isfinite(total_loss):
            raise ValueError(
                f"The loss is {total_loss}: the model gives NaN or infinite outputs (its training diverged). "
                f"Lower the learning rate and train a fresh model."
            )
        y_true, y_pred = torch.cat(labels), torch.cat(preds)
        num_classes = logits.shape[1]
        return Evaluation(
            loss=total_loss / len(y_true),
            accuracy=100.0 * (y_true == y_pred).float().mean().item(),
            confusion=confusion_matrix(y_true, y_pred, num_classes),
            samples=len(y_true),
        )
