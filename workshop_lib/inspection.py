"""Looking inside a trained network: first-layer weights as images, dead ReLUs, gradient norms."""

from __future__ import annotations

import torch
from torch import nn


def linear_layers(model: nn.Module) -> list[tuple[str, nn.Linear]]:
    """The model's `nn.Linear` layers with their names, in the order `modules()` yields them."""
    layers = [(name, m) for name, m in model.named_modules() if isinstance(m, nn.Linear)]
    if not layers:
        raise ValueError(
            f"{type(model).__name__} holds no nn.Linear layer; these tools look inside networks "
            f"built from nn.Linear (such as the FNN)."
        )
    return layers


def first_layer_images(model: nn.Module, height: int = 28, width: int = 28) -> torch.Tensor:
    """The first linear layer's weights `[out, height*width]` as images `[out, height, width]`.

    Row `k` of the weight matrix holds one weight per input pixel, so reshaping it the way the
    image was flattened (row after row) puts each weight on the pixel it multiplies.
    """
    name, first = linear_layers(model)[0]
    if first.in_features != height * width:
        raise ValueError(
            f"The first linear layer ({name}) takes {first.in_features} inputs, not "
            f"{height} x {width} = {height * width}: pass the image size it was trained on."
        )
    return first.weight.detach().cpu().reshape(first.out_features, height, width)


def show_first_layer(model: nn.Module, count: int = 32, ncols: int = 8):
    """A figure of the first `count` units' weights as 28x28 images (red +, blue -, white 0)."""
    import matplotlib.pyplot as plt

    images = first_layer_images(model)[:count]  # [count, 28, 28]
    nrows = -(-len(images) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.2 * ncols, 1.2 * nrows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for k, (ax, image) in enumerate(zip(axes.flat, images)):
        limit = image.abs().max().item() or 1.0  # each unit on its own symmetric scale
        ax.imshow(image.numpy(), cmap="bwr", vmin=-limit, vmax=limit)
        ax.set_title(f"unit {k}", fontsize=7)
    fig.suptitle("first-layer weights, one 28x28 image per hidden unit (red +, blue -)", fontsize=9)
    fig.tight_layout()
    plt.close(fig)
    return fig


@torch.no_grad()
def dead_units(model: nn.Module, loader) -> dict[str, torch.Tensor]:
    """For each `nn.ReLU` module: the indices of its units that output 0 for every input of `loader`.

    `loader` yields `(x, y)` batches (or is a list of them). The model runs in eval mode on the
    device of its parameters; its mode is restored afterwards.
    """
    relus = [(name, m) for name, m in model.named_modules() if isinstance(m, nn.ReLU)]
    if not relus:
        raise ValueError(
            f"{type(model).__name__} holds no nn.ReLU module (a ReLU written as torch.relu in "
            f"forward cannot be seen from outside): build the activations as modules, e.g. nn.ReLU()."
        )
    ever_active: dict[str, torch.Tensor] = {}  # name -> [units] bool: positive for some input

    def record(name):
        def hook(module, inputs, output):
            active = (output > 0).flatten(0, -2).any(dim=0)  # [B, units] -> [units]
            ever_active[name] = ever_active[name] | active if name in ever_active else active
        return hook

    handles = [m.register_forward_hook(record(name)) for name, m in relus]
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    try:
        for x, _ in loader:
            model(x.to(device))
    finally:
        for handle in handles:
            handle.remove()
        model.train(was_training)
    if not ever_active:
        raise ValueError("The loader yielded no batches; nothing was measured.")
    return {name: (~ever_active[name]).nonzero().flatten().cpu() for name, _ in relus}


def dead_relu_fraction(model: nn.Module, loader) -> dict[str, float]:
    """For each `nn.ReLU` module: the fraction of its units that output 0 for every input of `loader`."""
    sizes: dict[str, int] = {}

    def size(name):
        def hook(module, inputs, output):
            sizes[name] = output.shape[-1]
        return hook

    handles = [m.register_forward_hook(size(name)) for name, m in model.named_modules()
               if isinstance(m, nn.ReLU)]
    try:
        dead = dead_units(model, loader)
    finally:
        for handle in handles:
            handle.remove()
    return {name: len(indices) / sizes[name] for name, indices in dead.items()}


class GradientNorms:
    """Per-step gradient norm of each linear layer's weight, recorded during training.

    Hooks on the weights record ||dL/dW|| (Frobenius norm) at every `backward`, so the trainer
    needs no change. Pass the object as a trainer callback too: it then notes where each epoch
    ends. Call `remove()` (or use `with GradientNorms(model) as norms:`) to take the hooks off.
    """

    def __init__(self, model: nn.Module):
        self.names = [name for name, _ in linear_layers(model)]
        self._norms: dict[str, list[torch.Tensor]] = {name: [] for name in self.names}
        self.epoch_ends: list[int] = []  # number of recorded steps when each epoch ended
        self._handles = [
            layer.weight.register_hook(self._recorder(name)) for name, layer in linear_layers(model)
        ]

    def _recorder(self, name: str):
        def hook(grad: torch.Tensor) -> None:
            self._norms[name].append(grad.detach().norm())  # a 0-d tensor: no sync with a GPU here
        return hook

    def __call__(self, trainer, history) -> None:
        """Trainer callback, after each epoch: remember where it ended."""
        self.epoch_ends.append(self.steps)

    @property
    def steps(self) -> int:
        return len(self._norms[self.names[0]])

    def norms(self) -> dict[str, list[float]]:
        """Layer name -> the gradient norm of its weight at each recorded step."""
        return {name: torch.stack(values).tolist() if values else [] for name, values in self._norms.items()}

    def remove(self) -> None:
        """Take the hooks off the weights; what was recorded stays."""
        for handle in self._handles:
            handle.remove()
        self._handles = []

    def __enter__(self) -> GradientNorms:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


def plot_gradient_norms(recorder: GradientNorms, smooth: int = 50):
    """One line per layer: its weight's gradient norm per step (a running mean over `smooth` steps)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 3.5))
    for name, values in recorder.norms().items():
        series = torch.tensor(values)
        if len(series) >= smooth > 1:
            kernel = torch.ones(1, 1, smooth) / smooth
            series = torch.nn.functional.conv1d(series.view(1, 1, -1), kernel).view(-1)
            steps = torch.arange(smooth - 1, smooth - 1 + len(series))
        else:
            steps = torch.arange(len(series))
        ax.plot(steps.numpy(), series.numpy(), label=name)
    for end in recorder.epoch_ends:
        ax.axvline(end, color="grey", lw=0.5, alpha=0.5)
    ax.set_yscale("log")
    ax.set_xlabel("training step (grey lines: end of an epoch)")
    ax.set_ylabel(f"||dL/dW||, mean of {smooth} steps")
    ax.legend(title="linear layer", fontsize=8)
    fig.tight_layout()
    plt.close(fig)
    return fig
