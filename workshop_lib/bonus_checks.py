"""Checks for the bonus lessons' exercises, on the same footing as `checks`: behaviour, not source text.

Each exercise is registered in `checks.EXERCISES`, so the verdicts, the fallback to the reference
and `hint(...)` work exactly as in lessons 00-03:

    sum_correct_preds = check.sum_correct_preds(sum_correct_preds)
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import checks
from .augmentation import affine_matrices, apply_affine, centre_of_mass
from .checks import Exercise, Wrong, _close, _first_call, _linears, hint  # noqa: F401  (hint: re-exported)
from .drawings import Style, draw_digit
from .experiments import grid as reference_grid
from .fnn import dense_layer as reference_dense_layer
from .layers import LayerFactory
from .network_trainer import sum_correct_preds as reference_sum_correct_preds
from .preprocessing import mnist_style, naive_resize
from .regression import DigitRegressionLoss
from .regularization import l1_penalty


def _generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _as_float(value, what: str) -> float:
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return float(value)
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        return float(value)
    raise Wrong(f"{what} returned {value!r} ({type(value).__name__}); return one number.")


# ---------------------------------------------------------------- 04: accuracy

def probe_sum_correct_preds(fn: Callable) -> str:
    g = _generator(10)
    for batch, classes in ((12, 10), (7, 3)):
        logits, y = torch.randn(batch, classes, generator=g), torch.randint(0, classes, (batch,), generator=g)
        expected = reference_sum_correct_preds(logits, y)
        got = _as_float(_first_call(fn, logits, y), f"sum_correct_preds(logits [{batch}, {classes}], y)")
        if got == expected:
            continue
        if abs(got - expected / batch) < 1e-6 or abs(got - 100 * expected / batch) < 1e-4:
            raise Wrong(
                "it returns the fraction (or percentage) of correct predictions. Return the COUNT: "
                "the trainer adds the counts of all batches and divides by the number of images once."
            )
        raise Wrong(f"for a batch of {batch} it returned {got:g}; {expected} predictions are correct there.")
    return "the number of correct predictions in a batch; the trainer turns it into a percentage."


# ---------------------------------------------------------------- 04: mean and std

def reference_mean_std(images: torch.Tensor) -> tuple[float, float]:
    """Mean and standard deviation of all pixels of uint8 images `[N, 28, 28]`, scaled to [0, 1]."""
    pixels = images.double() / 255
    return pixels.mean().item(), pixels.std().item()


def probe_mean_std(fn: Callable) -> str:
    pixels = torch.randint(0, 256, (50, 28, 28), generator=_generator(11))
    brightness = torch.linspace(0.1, 1.0, 50).view(50, 1, 1)  # images differ, as MNIST's do
    images = (pixels * brightness).to(torch.uint8)
    images[:, :5] = 0  # a black border like MNIST's
    result = _first_call(fn, images)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise Wrong(f"it returned {type(result).__name__}; return a pair (mean, std).")
    mean, std = (_as_float(v, "mean_std") for v in result)
    want_mean, want_std = reference_mean_std(images)
    if abs(mean - 255 * want_mean) < 1e-2:
        raise Wrong("the mean is on the 0..255 scale; ToTensor gives pixels in [0, 1]: divide by 255.")
    if abs(mean - want_mean) > 1e-4:
        raise Wrong(f"the mean is {mean:.4f}; the pixels' mean is {want_mean:.4f}.")
    per_image = (images.double() / 255).flatten(1).std(dim=1).mean().item()
    if abs(std - per_image) < 1e-4:
        raise Wrong("that is the mean of the per-image standard deviations; take the std of ALL pixels.")
    if abs(std - want_std) > 1e-4:
        raise Wrong(f"the std is {std:.4f}; the std of all pixels (in [0, 1]) is {want_std:.4f}.")
    return "the mean and standard deviation of all training pixels, on the [0, 1] scale."


# ---------------------------------------------------------------- 04: BatchNorm in the dense layer

def probe_dense_layer_bn(fn: Callable) -> str:
    expected_types = {
        None: [nn.Linear, nn.ReLU],
        "before": [nn.Linear, nn.BatchNorm1d, nn.ReLU],
        "after": [nn.Linear, nn.ReLU, nn.BatchNorm1d],
    }
    x = torch.randn(16, 6, generator=_generator(12))
    for batch_norm, types in expected_types.items():
        layer = _first_call(fn, 6, 4, "relu", batch_norm)
        if not isinstance(layer, nn.Sequential):
            raise Wrong(f"it returned {type(layer).__name__}; return an nn.Sequential.")
        got = [type(m) for m in layer]
        if got != types:
            names = lambda ts: " -> ".join(t.__name__ for t in ts)  # noqa: E731
            raise Wrong(f"with batch_norm={batch_norm!r} the layer is {names(got)}; expected {names(types)}.")
        bias = layer[0].bias is not None
        if batch_norm == "before" and bias:
            raise Wrong(
                "with BatchNorm right after the linear layer, leave its bias out (bias=False): BatchNorm "
                "subtracts the batch mean, which cancels any bias, and its own shift takes its place."
            )
        if batch_norm != "before" and not bias:
            raise Wrong(f"with batch_norm={batch_norm!r} the linear layer needs its bias.")
        reference = reference_dense_layer(6, 4, "relu", batch_norm)
        reference.load_state_dict(dict(zip(reference.state_dict(), layer.state_dict().values(), strict=True)))
        layer.train()
        if not _close(layer(x), reference(x)):
            raise Wrong(f"with batch_norm={batch_norm!r} the outputs differ from linear, BatchNorm1d, ReLU.")
    return "BatchNorm1d before the activation (no linear bias) or after it, as asked."


# ---------------------------------------------------------------- 05: initialisation

def reference_init_weights(model: nn.Module, weight_fn: Callable, bias_fn: Callable) -> nn.Module:
    """Apply `weight_fn` to the weight and `bias_fn` to the bias of every `nn.Linear`; return the model."""
    for module in model.modules():
        if isinstance(module, nn.Linear):
            with torch.no_grad():
                weight_fn(module.weight)
                if module.bias is not None:
                    bias_fn(module.bias)
    return model


def probe_init_weights(fn: Callable) -> str:
    model = nn.Sequential(
        nn.Sequential(nn.Linear(5, 4), nn.BatchNorm1d(4), nn.ReLU()),
        nn.Sequential(nn.Linear(4, 4, bias=False), nn.ReLU()),
        nn.Linear(4, 3),
    )
    weight_fn, bias_fn = (lambda t: nn.init.constant_(t, 0.5)), (lambda t: nn.init.constant_(t, -0.25))
    result = _first_call(fn, model, weight_fn, bias_fn)
    if result is not model:
        raise Wrong("return the model itself (initialised in place), so that calls can be chained.")
    linears = _linears(model)
    untouched = [i for i, m in enumerate(linears) if not torch.all(m.weight == 0.5)]
    if untouched:
        raise Wrong(
            f"linear layer(s) {untouched} (counting from 0) kept their weights. Go through model.modules(): "
            f"it also finds layers nested inside nn.Sequential blocks."
        )
    if not all(torch.all(m.bias == -0.25) for m in linears if m.bias is not None):
        raise Wrong("the biases did not get bias_fn; and layers built with bias=False have none to fill.")
    if not torch.all(model[0][1].weight == 1):
        raise Wrong("it changed BatchNorm's scale too: initialise the nn.Linear layers only.")
    return "every linear layer, nested or not, gets the weight and the bias scheme; BatchNorm is left alone."


# ---------------------------------------------------------------- 05: L1 penalty

def reference_l1(model: nn.Module, strength: float = 1e-4) -> torch.Tensor:
    """`strength` times the sum of the absolute values of all parameters."""
    return l1_penalty(strength)(model)


def probe_l1(fn: Callable) -> str:
    torch.manual_seed(13)
    model = nn.Sequential(nn.Linear(6, 4), nn.ReLU(), nn.Linear(4, 2))
    value = _first_call(fn, model, 0.01)
    if not isinstance(value, torch.Tensor):
        raise Wrong(
            f"it returned a {type(value).__name__}; return a tensor, so that loss + penalty can be "
            f"backpropagated (do not call .item())."
        )
    if not value.requires_grad:
        raise Wrong("the result carries no gradient: build it from the parameters with torch operations.")
    params = list(model.parameters())
    want = reference_l1(model, 0.01)
    if _close(value.detach(), want.detach()):
        return "strength times the sum of |parameter| over all parameters, with its gradient."
    if _close(value.detach(), 0.01 * sum(p.pow(2).sum() for p in params).detach()):
        raise Wrong("that is the L2 penalty (squares); L1 takes the absolute values: p.abs().sum().")
    if _close(value.detach(), sum(p.abs().sum() for p in params).detach()):
        raise Wrong("multiply the sum by strength.")
    raise Wrong(f"it gave {value.item():.5f}; 0.01 * sum(|p|) over all parameters is {want.item():.5f}.")


# ---------------------------------------------------------------- 06: grid

def probe_grid(fn: Callable) -> str:
    options = {"neurons": [32, 64, 128], "hidden_layers": [1, 2], "activation": ["relu", "tanh"]}
    result = _first_call(lambda: fn(**options))
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


# ---------------------------------------------------------------- 06: layers from a list of sizes

def reference_build_layers(input_size, sizes, output_size, activation="relu") -> nn.Sequential:
    """A dense layer per size, then a linear output layer: `LayerFactory(activation).build(...)`."""
    return LayerFactory(activation).build(input_size, sizes, output_size)


def probe_build_layers(fn: Callable) -> str:
    x = torch.randn(5, 9, generator=_generator(14))
    for sizes, activation in (([7, 5, 3], "tanh"), ([4], "relu"), ([], "relu")):
        net = _first_call(fn, 9, sizes, 2, activation)
        if not isinstance(net, nn.Module):
            raise Wrong(f"it returned {type(net).__name__}; return an nn.Sequential.")
        shapes = [(m.in_features, m.out_features) for m in _linears(net)]
        widths = [9, *sizes, 2]
        expected = list(zip(widths, widths[1:]))
        if shapes != expected:
            raise Wrong(f"build_layers(9, {sizes}, 2) has linear layers {shapes}; expected {expected}.")
        reference = reference_build_layers(9, sizes, 2, activation)
        for mine, theirs in zip(_linears(reference), _linears(net), strict=True):
            mine.load_state_dict(theirs.state_dict())
        with torch.no_grad():
            if not _close(net(x), reference(x)):
                raise Wrong(
                    f"build_layers(9, {sizes}, 2, {activation!r}) gives other outputs than dense layers "
                    f"with {activation} and a last layer WITHOUT activation."
                )
    return "one dense layer per size, each sized to fit the one before, a plain linear output."


# ---------------------------------------------------------------- 06: regression loss

def probe_regression_loss(fn: Callable) -> str:
    output = torch.tensor([[4.6], [0.5], [8.0], [2.2]], requires_grad=True)  # [B, 1]
    y = torch.tensor([4, 1, 9, 2])
    value = _first_call(fn, output, y)
    if not isinstance(value, torch.Tensor) or value.numel() != 1:
        raise Wrong("return the loss as a one-number tensor (it is backpropagated).")
    want = DigitRegressionLoss()(output, y)
    if _close(value.detach(), want.detach()):
        return "the mean squared difference between the one output and the digit's value."
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch warns about exactly this broadcast
        broadcast = F.mse_loss(output, y.float())
    if _close(value.detach(), broadcast):
        raise Wrong(
            "the output is [B, 1] and the target [B]: PyTorch broadcasts them to [B, B] and compares "
            "every output with every label. Make the target [B, 1]: y.float().unsqueeze(1)."
        )
    raise Wrong(f"it gave {value.item():.4f}; the mean squared error is {want.item():.4f}.")


# ---------------------------------------------------------------- 07: own handwriting

def reference_predict_drawing(model: nn.Module, image) -> int:
    """The digit `model` reads in a drawing: MNIST-style preprocessing, a batch of one, argmax."""
    model.eval()
    x = mnist_style(image).unsqueeze(0)  # [1, 784]
    with torch.no_grad():
        return int(model(x.to(next(model.parameters()).device)).argmax(dim=1))


def probe_predict_drawing(fn: Callable) -> str:
    torch.manual_seed(15)
    model = nn.Sequential(nn.Linear(784, 10))
    drawings = [draw_digit(d, Style(height=h, centre=c, stroke=s))
                for d, h, c, s in ((3, 90, (80, 90), 6), (7, 200, (140, 140), 2), (0, 60, (200, 200), 9))]
    for image in drawings:
        got = _first_call(fn, model, image)
        if isinstance(got, torch.Tensor) and got.numel() == 1:
            got = int(got)
        if not isinstance(got, (int, np.integer)):
            raise Wrong(f"it returned {type(got).__name__}; return the predicted digit as an int.")
        want = reference_predict_drawing(model, image)
        if got == want:
            continue
        with torch.no_grad():
            naive = int(model(naive_resize(image).unsqueeze(0)).argmax(dim=1))
        if got == naive:
            raise Wrong("that is the prediction for the naively resized picture: use mnist_style(image).")
        raise Wrong("the predicted digit differs: mnist_style(image), unsqueeze(0) for a batch, "
                    "argmax over dim 1.")
    return "MNIST-style preprocessing, a batch of one, the class with the highest score."


# ---------------------------------------------------------------- 07: shift matrices for augmentation

def reference_shift_matrices(shift_px: torch.Tensor) -> torch.Tensor:
    """`[B, 2, 3]` `affine_grid` matrices that move each image by `shift_px [B, 2]` pixels (x, y)."""
    b = len(shift_px)
    return affine_matrices(torch.zeros(b), shift_px, torch.ones(b))


def probe_shift_matrices(fn: Callable) -> str:
    shift = torch.tensor([[3.0, 0.0], [0.0, -2.0], [-1.0, 2.0]])
    theta = _first_call(fn, shift)
    if not isinstance(theta, torch.Tensor) or theta.shape != (3, 2, 3):
        shape = list(theta.shape) if isinstance(theta, torch.Tensor) else type(theta).__name__
        raise Wrong(f"for 3 shifts it returned {shape}; expected a tensor [3, 2, 3].")
    image = torch.zeros(1, 28, 28)
    image[0, 10:18, 11:17] = 1.0  # a block in the middle
    x = image.flatten(1).repeat(3, 1)
    moved = centre_of_mass(apply_affine(x, theta.float())) - centre_of_mass(x)  # [3, 2] in pixels
    if _close(moved, shift):
        return "each image moves by its own shift, in pixels."
    if _close(moved, -shift):
        raise Wrong(
            "the images move the wrong way: affine_grid asks, for each OUTPUT pixel, where to read in "
            "the input. To move the image right, read from the left: the translation is minus the shift."
        )
    if _close(moved * 14, shift) or _close(-moved * 14, shift):
        raise Wrong("affine_grid measures in units where the image is 2 wide: a pixel is 2 / 28, not 1.")
    raise Wrong(f"the shifts came out as {moved.round(decimals=2).tolist()}; expected {shift.tolist()}.")


# ---------------------------------------------------------------- the registry

BONUS_EXERCISES: dict[str, Exercise] = {
    "sum_correct_preds": Exercise(
        probe_sum_correct_preds, reference_sum_correct_preds,
        "workshop_lib.network_trainer.sum_correct_preds",
        "logits.argmax(dim=1) is the predicted class of each image [B]; compare it with y and count the "
        "True values: (pred == y).sum().item().",
    ),
    "mean_std": Exercise(
        probe_mean_std, reference_mean_std, "workshop_lib.bonus_checks.reference_mean_std",
        "pixels = images.double() / 255 (all images at once); "
        "return pixels.mean().item(), pixels.std().item().",
    ),
    "dense_layer_bn": Exercise(
        probe_dense_layer_bn, reference_dense_layer, "workshop_lib.fnn.dense_layer",
        "layers = [nn.Linear(in_features, out_features, bias=batch_norm != 'before')]; append "
        "nn.BatchNorm1d(out_features) before or after the activation as batch_norm says.",
    ),
    "init_weights": Exercise(
        probe_init_weights, reference_init_weights, "workshop_lib.bonus_checks.reference_init_weights",
        "for module in model.modules(): if isinstance(module, nn.Linear): under torch.no_grad(), "
        "weight_fn(module.weight) and, if module.bias is not None, bias_fn(module.bias). Return model.",
    ),
    "l1": Exercise(
        probe_l1, reference_l1, "workshop_lib.regularization.l1_penalty",
        "return strength * sum(p.abs().sum() for p in model.parameters())",
    ),
    "grid": Exercise(
        probe_grid, reference_grid, "workshop_lib.experiments.grid",
        "names = list(options); "
        "return [dict(zip(names, combo)) for combo in itertools.product(*options.values())]",
    ),
    "build_layers": Exercise(
        probe_build_layers, reference_build_layers, "workshop_lib.layers.LayerFactory.build",
        "widths = [input_size, *sizes]; a dense_layer(widths[i], widths[i + 1], activation) for each pair, "
        "then dense_layer(widths[-1], output_size, activation=None); return nn.Sequential(*layers).",
    ),
    "regression_loss": Exercise(
        probe_regression_loss, DigitRegressionLoss(), "workshop_lib.regression.DigitRegressionLoss",
        "target = y.float().unsqueeze(1) has the output's shape [B, 1]; return F.mse_loss(output, target).",
    ),
    "predict_drawing": Exercise(
        probe_predict_drawing, reference_predict_drawing,
        "workshop_lib.bonus_checks.reference_predict_drawing",
        "x = mnist_style(image).unsqueeze(0) is a batch [1, 784]; model.eval(); under torch.no_grad(), "
        "return int(model(x).argmax(dim=1)).",
    ),
    "shift_matrices": Exercise(
        probe_shift_matrices, reference_shift_matrices, "workshop_lib.bonus_checks.reference_shift_matrices",
        "theta = zeros [B, 2, 3]; the 2x2 part is the identity; the last column is -shift_px * 2 / 28 "
        "(minus: affine_grid says where to read from; 2 / 28: the image is 2 units wide).",
    ),
}
checks.EXERCISES.update(BONUS_EXERCISES)


def sum_correct_preds(answer):
    """Check `sum_correct_preds(logits [B, C], y [B]) -> number of correct predictions`."""
    return checks.check_exercise("sum_correct_preds", answer)


def mean_std(answer):
    """Check `mean_std(images uint8 [N, 28, 28]) -> (mean, std)` on the [0, 1] scale."""
    return checks.check_exercise("mean_std", answer)


def dense_layer_bn(answer):
    """Check `dense_layer(in, out, activation, batch_norm=None | "before" | "after")`."""
    return checks.check_exercise("dense_layer_bn", answer)


def init_weights(answer):
    """Check `init_weights(model, weight_fn, bias_fn) -> model`."""
    return checks.check_exercise("init_weights", answer)


def l1(answer):
    """Check `l1(model, strength) -> strength * sum |p|` as a tensor with a gradient."""
    return checks.check_exercise("l1", answer)


def grid(answer):
    """Check `grid(**options) -> list of settings`, every combination once."""
    return checks.check_exercise("grid", answer)


def build_layers(answer):
    """Check `build_layers(input_size, sizes, output_size, activation) -> nn.Sequential`."""
    return checks.check_exercise("build_layers", answer)


def regression_loss(answer):
    """Check `regression_loss(output [B, 1], y [B]) -> MSE` against the digits' values."""
    return checks.check_exercise("regression_loss", answer)


def predict_drawing(answer):
    """Check `predict_drawing(model, image) -> int`."""
    return checks.check_exercise("predict_drawing", answer)


def shift_matrices(answer):
    """Check `shift_matrices(shift_px [B, 2]) -> [B, 2, 3]` for `F.affine_grid`."""
    return checks.check_exercise("shift_matrices", answer)
