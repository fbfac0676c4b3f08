"""What a checkpoint can rebuild: every architecture of the library, by the name its `config` carries."""

from __future__ import annotations

import inspect

from torch import nn

from .fnn import FNN
from .layers import DeepFNN

# A model class listed here carries a JSON-able `config` whose "architecture" is its key.
ARCHITECTURES: dict[str, type[nn.Module]] = {"FNN": FNN, "DeepFNN": DeepFNN}


def build_from_config(config: dict) -> nn.Module:
    """Rebuild a model from the JSON-able `config` it carries."""
    if not isinstance(config, dict):
        raise TypeError(f"A model config is a dict such as model.config, got {type(config).__name__}.")
    kwargs = dict(config)
    name = kwargs.pop("architecture", None)
    if name not in ARCHITECTURES:
        raise ValueError(
            f"Unknown architecture {name!r} in the config; known: {sorted(ARCHITECTURES)}."
        )
    accepted = inspect.signature(ARCHITECTURES[name]).parameters
    unknown = sorted(set(kwargs) - set(accepted))
    if unknown:
        raise ValueError(f"{name} takes no {unknown} (the config names: {sorted(accepted)}).")
    return ARCHITECTURES[name](**kwargs)
