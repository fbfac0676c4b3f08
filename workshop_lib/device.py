"""Where tensors live: the best available device, a model's device, and seeds so that numbers repeat."""

from __future__ import annotations

import random

import numpy as np
import torch
from torch import nn


def select_device(preferred: str | None = None) -> torch.device:
    """`preferred` if given, else CUDA, then Apple's MPS, then the CPU."""
    if preferred is not None:
        return torch.device(preferred)
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def model_device(model: nn.Module) -> torch.device:
    """Where a model's parameters live; the CPU for a model without parameters."""
    parameter = next(model.parameters(), None)
    return parameter.device if parameter is not None else torch.device("cpu")


def set_seed(seed: int) -> None:
    """Seed Python, NumPy and PyTorch (all devices)."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
