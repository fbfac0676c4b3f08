"""What a checkpoint can rebuild: every architecture of the library, by the name its `config` carries."""

from __future__ import annotations

from torch import nn

from .fnn import FNN
from .layers import DeepFNN

# A model class listed here carries a JSON-able `config` whose "architecture" is its key.
ARCHITECTURES: dict[str, type[nn.Module]] = {"FNN": FNN, "DeepFNN": DeepFNN}


def build_from_config(config: dict) -> nn.Module:
    """Rebuild a model from the JSON-able `config` it carries."""
    kwargs = dict(config)
    name = kwargs.pop("architecture", None)
    if name not in ARCHITECTURES:
        raise ValueError(
            f"Unknown architecture {name!r} in the config; known: {sorted(ARCHITECTURES)}."
        )
    return ARCHITECTURES[name](**kwargs)
