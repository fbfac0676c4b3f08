"""Weight initialisation for any network: by scheme name ("kaiming_normal", "normal(0.5)") or a function."""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import torch
from torch import nn

from .network_user import eval_outputs

Initializer = Callable[[torch.Tensor], object]  # fills a tensor in place, like nn.init.*_

# Schemes that need no argument. Kaiming's gain assumes ReLU, the workshop's activation.
SCHEMES: dict[str, Initializer] = {
    "xavier_uniform": nn.init.xavier_uniform_,
    "xavier_normal": nn.init.xavier_normal_,
    "kaiming_uniform": lambda t: nn.init.kaiming_uniform_(t, nonlinearity="relu"),
    "kaiming_normal": lambda t: nn.init.kaiming_normal_(t, nonlinearity="relu"),
    "zeros": nn.init.zeros_,
    "ones": nn.init.ones_,
}
# Schemes with one number: "normal(0.5)" is N(0, 0.5²), "uniform(0.1)" is U(-0.1, 0.1), "constant(0.01)".
SCHEMES_WITH_ARGUMENT: dict[str, Callable[[float], Initializer]] = {
    "normal": lambda std: lambda t: nn.init.normal_(t, 0.0, std),
    "uniform": lambda a: lambda t: nn.init.uniform_(t, -a, a),
    "constant": lambda c: lambda t: nn.init.constant_(t, c),
}
_WITH_ARGUMENT = re.compile(r"^\s*(\w+)\s*\(\s*([-+0-9.eE]+)\s*\)\s*$")


def initializer(scheme: str | Initializer) -> Initializer:
    """The in-place fill function for a scheme name, or the function itself."""
    if callable(scheme):
        return scheme
    if isinstance(scheme, str):
        if scheme in SCHEMES:
            return SCHEMES[scheme]
        match = _WITH_ARGUMENT.match(scheme)
        if match and match.group(1) in SCHEMES_WITH_ARGUMENT:
            try:
                value = float(match.group(2))
            except ValueError:
                value = math.nan
            if math.isfinite(value):
                return SCHEMES_WITH_ARGUMENT[match.group(1)](value)
    known = sorted(SCHEMES) + [f"{name}(x)" for name in sorted(SCHEMES_WITH_ARGUMENT)]
    raise ValueError(
        f"Unknown initialisation scheme {scheme!r}. Use one of {known} (e.g. 'normal(0.01)'), "
        f"or a function that fills a tensor in place, like torch.nn.init.orthogonal_."
    )


def initialize(
    model: nn.Module,
    weights: str | Initializer = "kaiming_uniform",
    biases: str | Initializer = "zeros",
) -> nn.Module:
    """Re-initialise every `nn.Linear` of `model` in place (in module order); returns the model.

    BatchNorm keeps its own start (scale 1, shift 0): it is not a weight matrix.
    """
    fill_weight, fill_bias = initializer(weights), initializer(biases)
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    if not linears:
        raise ValueError(f"{type(model).__name__} has no nn.Linear layer to initialise.")
    with torch.no_grad():
        for linear in linears:
            fill_weight(linear.weight)
            if linear.bias is not None:
                fill_bias(linear.bias)
    return model


def activation_statistics(model: nn.Module, x: torch.Tensor) -> list[dict]:
    """Mean and standard deviation of each `nn.Linear`'s output for a batch `x` (no training).

    Shows at a glance whether signals vanish (std -> 0) or explode layer after layer.
    """
    rows, hooks = [], []
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    for i, linear in enumerate(linears, start=1):
        def record(module, inputs, output, layer=i):
            rows.append({"layer": layer, "mean": output.mean().item(), "std": output.std().item()})
        hooks.append(linear.register_forward_hook(record))
    try:
        eval_outputs(model, x)
    finally:
        for hook in hooks:
            hook.remove()
    return rows
