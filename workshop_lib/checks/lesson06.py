"""Lesson 06's exercises: layers from a list of sizes, a hyperparameter grid, the regression loss."""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from ..experiments import grid
from ..layers import LayerFactory
from ..regression import DigitRegressionLoss
from .engine import Exercise, Prediction, Wrong, close, first_call, generator, linears

# ---------------------------------------------------------------- layers from a list of sizes

def build_layers(input_size: int, sizes: list[int], output_size: int, activation="relu") -> nn.Sequential:
    """The reference: `LayerFactory(activation).build(input_size, sizes, output_size)`."""
    return LayerFactory(activation).build(input_size, sizes, output_size)


def probe_build_layers(fn: Callable) -> str:
    x = torch.randn(5, 9, generator=generator(14))
    for sizes, activation in (([7, 5, 3], "tanh"), ([4], "relu"), ([], "relu")):
        net = first_call(fn, 9, sizes, 2, activation)
        if not isinstance(net, nn.Module):
            raise Wrong(f"it returned {type(net).__name__}; return an nn.Sequential.")
        shapes = [(m.in_features, m.out_features) for m in linears(net)]
        widths = [9, *sizes, 2]
        expected = list(zip(widths, widths[1:]))
        if shapes != expected:
            raise Wrong(f"build_layers(9, {sizes}, 2) has linear layers {shapes}; expected {expected}.")
        reference = build_layers(9, sizes, 2, activation)
        for mine, theirs in zip(linears(reference), linears(net), strict=True):
            mine.load_state_dict(theirs.state_dict())
        with torch.no_grad():
            if not close(net(x), reference(x)):
                raise Wrong(
                    f"build_layers(9, {sizes}, 2, {activation!r}) gives other outputs than dense layers "
                    f"with {activation} and a last layer WITHOUT activation."
                )
    return "one dense layer per size, each sized to fit the one before, a plain linear output."


BUILD_LAYERS = Exercise(
    name="build_layers",
    doc="`build_layers(input_size, sizes, output_size, activation) -> nn.Sequential`.",
    probe=probe_build_layers,
    reference_spec=build_layers,
    hints=(
        "One dense layer per entry of sizes, each taking as many inputs as the layer before gives out "
        "(the first one takes input_size), then an output layer of output_size without activation.",
        "The widths in a row are [input_size, *sizes]: each neighbouring pair (a, b) is a "
        "dense_layer(a, b, activation). zip(widths, widths[1:]) gives the pairs. An empty sizes list "
        "leaves only the output layer.",
        "widths = [input_size, *sizes]; a dense_layer(widths[i], widths[i + 1], activation) for each pair, "
        "then dense_layer(widths[-1], output_size, activation=None); return nn.Sequential(*layers).",
    ),
    solution=LayerFactory.build,
)


# ---------------------------------------------------------------- grid

def probe_grid(fn: Callable) -> str:
    options = {"neurons": [32, 64, 128], "hidden_layers": [1, 2], "activation": ["relu", "tanh"]}
    result = first_call(lambda: fn(**options))
    try:
        result = list(result)
    except TypeError:
        raise Wrong(f"it returned {type(result).__name__}; return a list of dicts.") from None
    if not all(isinstance(r, dict) for r in result):
        raise Wrong("each setting must be a dict, e.g. {'neurons': 32, 'hidden_layers': 1, "
                    "'activation': 'relu'}.")
    expected = set(itertools.product(*options.values()))
    got = [tuple(r.get(k) for k in options) for r in result]
    if got == list(zip(*options.values())):
        raise Wrong(f"{len(got)} settings: that is zip (the n-th of each list). The grid is every "
                    f"combination: itertools.product gives 3 x 2 x 2 = 12.")
    if set(got) != expected or len(got) != len(expected):
        raise Wrong(f"{len(result)} settings; every combination of 3 x 2 x 2 values makes 12, each once.")
    return "every combination of the values, one dict per setting."


GRID = Exercise(
    name="grid",
    doc="`grid(**options) -> list of settings`, every combination of the values once.",
    probe=probe_grid,
    reference_spec=grid,
    hints=(
        "A grid tries every combination: with 3 neuron counts, 2 depths and 2 activations that is "
        "3 x 2 x 2 = 12 settings, each a dict from option name to one value.",
        "itertools.product(*lists) gives every combination of one value from each list, as tuples; "
        "zip(names, combo) pairs each value with its option's name.",
        "names = list(options); "
        "return [dict(zip(names, combo)) for combo in itertools.product(*options.values())]",
    ),
)


# ---------------------------------------------------------------- regression loss

def probe_regression_loss(fn: Callable) -> str:
    output = torch.tensor([[4.6], [0.5], [8.0], [2.2]], requires_grad=True)  # [B, 1]
    y = torch.tensor([4, 1, 9, 2])
    value = first_call(fn, output, y)
    if not isinstance(value, torch.Tensor) or value.numel() != 1:
        raise Wrong("return the loss as a one-number tensor (it is backpropagated).")
    want = DigitRegressionLoss()(output, y)
    if close(value.detach(), want.detach()):
        return "the mean squared difference between the one output and the digit's value."
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch warns about exactly this broadcast
        broadcast = F.mse_loss(output, y.float())
    if close(value.detach(), broadcast):
        raise Wrong(
            "the output is [B, 1] and the target [B]: PyTorch broadcasts them to [B, B] and compares "
            "every output with every label. Make the target [B, 1]: y.float().unsqueeze(1)."
        )
    raise Wrong(f"it gave {value.item():.4f}; the mean squared error is {want.item():.4f}.")


REGRESSION_LOSS = Exercise(
    name="regression_loss",
    doc="`regression_loss(output [B, 1], y [B]) -> MSE` against the digits' values.",
    probe=probe_regression_loss,
    reference_spec=DigitRegressionLoss(),
    hints=(
        "The network gives one number per image; the loss is the mean of the squared differences between "
        "that number and the digit's value. Mind the shapes: the output is [B, 1], the labels [B] "
        "integers.",
        "F.mse_loss computes the mean squared error, but PyTorch broadcasts [B, 1] against [B] to [B, B]. "
        "Give the target the output's shape and a float type.",
        "target = y.float().unsqueeze(1) has the output's shape [B, 1]; return F.mse_loss(output, target).",
    ),
)

EXERCISES = (BUILD_LAYERS, GRID, REGRESSION_LOSS)

PREDICTIONS = (
    Prediction(
        qid="06_last_activation",
        question="Two hidden layers of 256, two epochs: which activation comes last: relu, tanh, sigmoid, or "
                 "no clear last (within the seed spread)?",
        options=("relu", "tanh", "sigmoid", "no clear last"),
        explanation="How fast a network starts to learn depends on how well the gradient passes back "
                    "through its activations: the backward pass multiplies it by the activation's slope "
                    "once per layer. The question below asks what that means for relu, tanh and sigmoid. "
                    "Whichever came last, a gap to the next smaller than the spread between seeds does not "
                    "rank them, and two epochs say how fast each starts, not where it ends.",
    ),
    Prediction(
        qid="06_half_4_half_9",
        question="For images that are the pixel average of a 4 and a 9, what does the regression network "
                 "output (the median over 50 of them): about 4 (below 4.5), in between (4.5 to 8.5), or "
                 "about 9 (above 8.5)?",
        options=("about 4", "in between", "about 9"),
        explanation="For an input that is a 4 with probability p and a 9 otherwise, the output c that "
                    "minimises the expected squared error p(c - 4)^2 + (1 - p)(c - 9)^2 is the mean "
                    "c = 4p + 9(1 - p): 6.5 for p = 1/2, a digit that is neither. MSE averages the "
                    "candidates; a classifier instead shares its probability between the classes 4 and 9.",
    ),
)
