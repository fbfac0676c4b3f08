"""L1 and L2 penalties for the trainer's `regularization` parameter, and what they do to the weights."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn


def _parameters(model: nn.Module, weights_only: bool) -> list[torch.Tensor]:
    if not weights_only:
        return [p for p in model.parameters() if p.requires_grad]
    return [m.weight for m in model.modules() if isinstance(m, nn.Linear)]


def _check_strength(strength: float) -> None:
    if not isinstance(strength, (int, float)) or isinstance(strength, bool):
        raise TypeError(f"A penalty's strength is a number (e.g. 1e-4), got {strength!r}.")
    if not strength >= 0:
        raise ValueError(f"A penalty's strength must be zero or positive (e.g. 1e-4), got {strength!r}.")


def l2_penalty(strength: float, weights_only: bool = False) -> Callable[[nn.Module], torch.Tensor]:
    """`model -> strength/2 * sum(p²)`: its gradient `strength * p` is what Adam's `weight_decay` adds.

    So `Adam(..., weight_decay=s)` and `regularization=l2_penalty(s)` train the same model.
    `weights_only=True` leaves biases (and BatchNorm) free, as is common.
    """
    _check_strength(strength)

    def penalty(model: nn.Module) -> torch.Tensor:
        return strength / 2 * sum(p.pow(2).sum() for p in _parameters(model, weights_only))

    return penalty


def l1_penalty(strength: float, weights_only: bool = False) -> Callable[[nn.Module], torch.Tensor]:
    """`model -> strength * sum(|p|)`: a constant pull of every weight towards exactly zero."""
    _check_strength(strength)

    def penalty(model: nn.Module) -> torch.Tensor:
        return strength * sum(p.abs().sum() for p in _parameters(model, weights_only))

    return penalty


def linear_weights(model: nn.Module) -> torch.Tensor:
    """All weights of all `nn.Linear` layers as one flat tensor (biases left out), for histograms."""
    weights = [m.weight.detach().flatten().cpu() for m in model.modules() if isinstance(m, nn.Linear)]
    if not weights:
        raise ValueError(f"{type(model).__name__} has no nn.Linear layer.")
    return torch.cat(weights)


def sparsity(model: nn.Module, threshold: float = 1e-3) -> dict:
    """How many linear weights are (near) zero: `|w| < threshold`, and exactly zero."""
    w = linear_weights(model)
    near = int((w.abs() < threshold).sum())
    return {
        "weights": w.numel(),
        "near_zero": near,
        "near_zero_percent": 100.0 * near / w.numel(),
        "exactly_zero": int((w == 0).sum()),
        "mean_abs": w.abs().mean().item(),
    }
