"""Networks of any depth: a `Layer` description, a `LayerFactory` that builds it, and `DeepFNN`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass

import torch
from torch import nn

from .fnn import check_flat_input, dense_layer


@dataclass(frozen=True)
class Layer:
    """One hidden layer: its number of neurons, its activation and where BatchNorm goes."""

    size: int
    activation: str | None = "relu"
    batch_norm: str | None = None

    def __post_init__(self):
        if not isinstance(self.size, int) or isinstance(self.size, bool) or self.size < 1:
            raise ValueError(f"A layer's size is a positive number of neurons, got {self.size!r}.")


def as_layer(
    spec: int | dict | Layer, activation: str | None = "relu", batch_norm: str | None = None
) -> Layer:
    """A `Layer` from an int (size, with the given defaults), a dict (a saved config) or a `Layer`."""
    if isinstance(spec, Layer):
        return spec
    if isinstance(spec, dict):
        return Layer(**spec)
    if isinstance(spec, int) and not isinstance(spec, bool):
        return Layer(spec, activation, batch_norm)
    raise TypeError(
        f"Describe a layer by its size (e.g. 256), a Layer(256, 'relu') or a dict, got {spec!r}."
    )


class LayerFactory:
    """Turns a list of `Layer`s into stacked dense layers, each sized to fit the one before."""

    def __init__(self, activation: str | None = "relu", batch_norm: str | None = None):
        self.activation = activation  # defaults for layers given as plain sizes
        self.batch_norm = batch_norm

    def layers(self, specs: Iterable[int | dict | Layer]) -> list[Layer]:
        return [as_layer(s, self.activation, self.batch_norm) for s in specs]

    def build(self, input_size: int, specs: Iterable[int | dict | Layer], output_size: int) -> nn.Sequential:
        """input -> each hidden layer -> a plain linear output layer (logits, no activation)."""
        blocks, width = [], input_size
        for layer in self.layers(specs):
            blocks.append(dense_layer(width, layer.size, layer.activation, layer.batch_norm))
            width = layer.size
        blocks.append(dense_layer(width, output_size, activation=None))
        return nn.Sequential(*blocks)


class DeepFNN(nn.Module):
    """A fully connected network with any number of hidden layers: `DeepFNN([512, 256, 128])`.

    With `layers=[256, 256]` it is the workshop's `FNN`, down to the parameter names.
    """

    def __init__(
        self,
        layers: Iterable[int | dict | Layer] = (256, 256),
        input_size: int = 784,
        output_size: int = 10,
        activation: str | None = "relu",
        batch_norm: str | None = None,
    ):
        super().__init__()
        factory = LayerFactory(activation, batch_norm)
        hidden = factory.layers(layers)
        self.config = {  # JSON-able, so NetworkUser.load can rebuild the model
            "architecture": "DeepFNN",
            "layers": [asdict(layer) for layer in hidden],
            "input_size": input_size,
            "output_size": output_size,
            "activation": activation,
            "batch_norm": batch_norm,
        }
        self.input_size = input_size
        self.layers = factory.build(input_size, hidden, output_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_flat_input(x, self.input_size)
        return self.layers(x)  # [B, output_size]


def count_parameters(model: nn.Module) -> int:
    """The number of trainable numbers in a model."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
