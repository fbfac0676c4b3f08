"""The fully connected feedforward network: a dense-layer builder and the two-hidden-layer FNN."""

from __future__ import annotations

import torch
from torch import nn

ACTIVATIONS = {
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "gelu": nn.GELU,
    "elu": nn.ELU,
}


def make_activation(name: str | None) -> nn.Module | None:
    """An activation module by name (`"relu"`, ...); `None` means no activation."""
    if name is None:
        return None
    try:
        return ACTIVATIONS[name]()
    except KeyError:
        raise ValueError(
            f"Unknown activation {name!r}; choose one of {sorted(ACTIVATIONS)} or None."
        ) from None


def dense_layer(
    in_features: int,
    out_features: int,
    activation: str | None = "relu",
    batch_norm: str | None = None,
) -> nn.Sequential:
    """Linear layer, then optionally BatchNorm1d and an activation.

    `batch_norm="before"` puts BatchNorm between linear and activation and drops the linear
    bias (BatchNorm subtracts the mean, so a bias would be cancelled; its own shift replaces it).
    `batch_norm="after"` puts it after the activation, where the bias is kept.
    """
    if batch_norm not in (None, "before", "after"):
        raise ValueError(f"batch_norm must be None, 'before' or 'after', got {batch_norm!r}.")
    layers: list[nn.Module] = [nn.Linear(in_features, out_features, bias=batch_norm != "before")]
    act = make_activation(activation)
    if batch_norm == "before":
        layers.append(nn.BatchNorm1d(out_features))
    if act is not None:
        layers.append(act)
    if batch_norm == "after":
        layers.append(nn.BatchNorm1d(out_features))
    return nn.Sequential(*layers)


def check_flat_input(x: torch.Tensor, input_size: int) -> None:
    """Raise a clear error unless `x` is a batch of flat vectors `[B, input_size]`."""
    if x.dim() == 2 and x.shape[1] == input_size:
        return
    shape = list(x.shape)
    if x.dim() >= 3 and x[0].numel() == input_size:
        raise ValueError(
            f"The FNN expects flattened images of shape [B, {input_size}], got {shape}. "
            f"Flatten each image first, e.g. x = x.view(x.size(0), -1) or "
            f"transforms.Lambda(torch.flatten) in the data loader."
        )
    raise ValueError(
        f"The FNN expects a batch of shape [B, {input_size}], got {shape}. "
        f"A single image needs a batch dimension: x.unsqueeze(0)."
    )


class FNN(nn.Module):
    """784 -> hidden1 -> hidden2 -> 10 logits; the last layer has no activation."""

    def __init__(
        self,
        input_size: int = 784,
        hidden1: int = 256,
        hidden2: int = 256,
        output_size: int = 10,
        activation: str | None = "relu",
        batch_norm: str | None = None,
    ):
        super().__init__()
        self.config = {
            "architecture": "FNN",
            "input_size": input_size,
            "hidden1": hidden1,
            "hidden2": hidden2,
            "output_size": output_size,
            "activation": activation,
            "batch_norm": batch_norm,
        }
        self.input_size = input_size
        self.layers = nn.Sequential(
            dense_layer(input_size, hidden1, activation, batch_norm),
            dense_layer(hidden1, hidden2, activation, batch_norm),
            dense_layer(hidden2, output_size, activation=None),  # logits: [B, output_size]
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_flat_input(x, self.input_size)
        return self.layers(x)

