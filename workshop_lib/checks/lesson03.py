"""Lesson 03's exercise (the loss for logits and class labels) and predictions."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from .engine import Exercise, Wrong, first_call, number


def choose_loss() -> nn.Module:
    """The answer: the loss for logits and class indices, log-softmax included."""
    return nn.CrossEntropyLoss()


def probe_loss(choose_loss: Callable) -> str:
    loss_fn = first_call(choose_loss)
    g = torch.Generator().manual_seed(3)
    logits, y = torch.randn(8, 10, generator=g) * 3, torch.randint(0, 10, (8,), generator=g)
    if not callable(loss_fn):
        raise Wrong(f"choose_loss() returned {type(loss_fn).__name__}; return a loss module, nn.XxxLoss().")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. MSELoss's broadcasting warning: the error says more
            value = loss_fn(logits, y)
    except Exception as err:
        raise Wrong(
            f"your loss raised {type(err).__name__} on logits [8, 10] and class labels [8] (int64): "
            f"{err}. A loss for classes given as indices is needed, not one for regression."
        ) from err
    value = number(value.detach() if isinstance(value, torch.Tensor) else value, "the loss")
    if abs(value - F.cross_entropy(logits, y).item()) < 1e-5:
        return "CrossEntropyLoss on logits: log-softmax and negative log-likelihood in one step."
    if abs(value - F.nll_loss(logits, y).item()) < 1e-5:
        raise Wrong(
            "NLLLoss expects log-probabilities, but the network outputs logits. Use the loss that "
            "applies log-softmax itself."
        )
    if abs(value - F.cross_entropy(logits, y, reduction="sum").item()) < 1e-4:
        raise Wrong("the loss sums over the batch; keep the default reduction='mean'.")
    raise Wrong("that loss does not compute the cross-entropy of logits and class labels.")


LOSS = Exercise(
    name="loss",
    doc="`choose_loss() -> the loss module` for logits and class labels.",
    probe=probe_loss,
    reference_spec=choose_loss,
    hints=(
        "The network outputs one raw score (a logit) per class, and the labels are class numbers 0-9. "
        "The loss must turn the scores into probabilities itself and punish a low probability for the "
        "true class.",
        "Look among PyTorch's losses for classification: one expects log-probabilities (it needs a "
        "log-softmax before it), one takes logits directly and applies log-softmax itself.",
        "The network outputs logits and the labels are class indices: one PyTorch loss takes exactly "
        "these and applies log-softmax itself: nn.CrossEntropyLoss().",
    ),
    solution="def choose_loss():\n    return nn.CrossEntropyLoss()  # log-softmax + negative log-likelihood",
)

EXERCISES = (LOSS,)

PREDICTIONS = ()
