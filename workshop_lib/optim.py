"""Optimizers with the fastest settings the installed torch supports on a device."""

from __future__ import annotations

from collections.abc import Iterable

import torch


def supports_fused_adam(device: torch.device | str) -> bool:
    """Whether `torch.optim.Adam(..., fused=True)` can step parameters on `device`."""
    try:
        param = torch.zeros(1, device=device, requires_grad=True)
        param.grad = torch.zeros(1, device=device)
        torch.optim.Adam([param], fused=True).step()
    except (RuntimeError, TypeError, ValueError):
        return False
    return True


def make_adam(parameters: Iterable[torch.nn.Parameter], lr: float = 1e-3, **kwargs) -> torch.optim.Adam:
    """`torch.optim.Adam`, with `fused=True` where supported (one kernel for all parameters)."""
    parameters = list(parameters)
    if not parameters:
        raise ValueError("No parameters to optimize: pass model.parameters() of a model with layers.")
    device = parameters[0].device if parameters and isinstance(parameters[0], torch.Tensor) else "cpu"
    kwargs.setdefault("fused", supports_fused_adam(device))
    return torch.optim.Adam(parameters, lr=lr, **kwargs)
