"""Lesson 05's exercises: initialising every linear layer, the L1 penalty."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from ..initialization import initialize
from ..regularization import l1_penalty
from .engine import Exercise, Prediction, Wrong, close, first_call, linears

# ---------------------------------------------------------------- initialisation

def probe_init_weights(fn: Callable) -> str:
    model = nn.Sequential(
        nn.Sequential(nn.Linear(5, 4), nn.BatchNorm1d(4), nn.ReLU()),
        nn.Sequential(nn.Linear(4, 4, bias=False), nn.ReLU()),
        nn.Linear(4, 3),
    )
    weight_fn, bias_fn = (lambda t: nn.init.constant_(t, 0.5)), (lambda t: nn.init.constant_(t, -0.25))
    result = first_call(fn, model, weight_fn, bias_fn)
    if result is not model:
        raise Wrong("return the model itself (initialised in place), so that calls can be chained.")
    found = linears(model)
    untouched = [i for i, m in enumerate(found) if not torch.all(m.weight == 0.5)]
    if untouched:
        raise Wrong(
            f"linear layer(s) {untouched} (counting from 0) kept their weights. Go through model.modules(): "
            f"it also finds layers nested inside nn.Sequential blocks."
        )
    if not all(torch.all(m.bias == -0.25) for m in found if m.bias is not None):
        raise Wrong("the biases did not get bias_fn; and layers built with bias=False have none to fill.")
    if not torch.all(model[0][1].weight == 1):
        raise Wrong("it changed BatchNorm's scale too: initialise the nn.Linear layers only.")
    return "every linear layer, nested or not, gets the weight and the bias scheme; BatchNorm is left alone."


INIT_WEIGHTS = Exercise(
    name="init_weights",
    doc="`init_weights(model, weight_fn, bias_fn) -> model`, every nn.Linear initialised in place.",
    probe=probe_init_weights,
    reference_spec=initialize,
    hints=(
        "Visit every linear layer of the model, however deeply it is nested, and fill its weight with "
        "weight_fn and its bias (if it has one) with bias_fn. Leave other layers, like BatchNorm, alone.",
        "model.modules() walks through every module, nested ones included; isinstance(module, nn.Linear) "
        "picks the linear layers. The torch.nn.init functions already run under torch.no_grad(); wrapping "
        "the loop in torch.no_grad() too keeps any other in-place fill out of autograd.",
        "for module in model.modules(): if isinstance(module, nn.Linear): under torch.no_grad(), "
        "weight_fn(module.weight) and, if module.bias is not None, bias_fn(module.bias). Return model.",
    ),
)


# ---------------------------------------------------------------- L1 penalty

def l1(model: nn.Module, strength: float = 1e-4) -> torch.Tensor:
    """The reference: `regularization.l1_penalty(strength)` applied to `model`."""
    return l1_penalty(strength)(model)


def probe_l1(fn: Callable) -> str:
    torch.manual_seed(13)
    model = nn.Sequential(nn.Linear(6, 4), nn.ReLU(), nn.Linear(4, 2))
    value = first_call(fn, model, 0.01)
    if not isinstance(value, torch.Tensor):
        raise Wrong(
            f"it returned a {type(value).__name__}; return a tensor, so that loss + penalty can be "
            f"backpropagated (do not call .item())."
        )
    if not value.requires_grad:
        raise Wrong("the result carries no gradient: build it from the parameters with torch operations.")
    params = list(model.parameters())
    want = l1(model, 0.01)
    if close(value.detach(), want.detach()):
        return "strength times the sum of |parameter| over all parameters, with its gradient."
    if close(value.detach(), 0.01 * sum(p.pow(2).sum() for p in params).detach()):
        raise Wrong("that is the L2 penalty (squares); L1 takes the absolute values: p.abs().sum().")
    if close(value.detach(), sum(p.abs().sum() for p in params).detach()):
        raise Wrong("multiply the sum by strength.")
    raise Wrong(f"it gave {value.item():.5f}; 0.01 * sum(|p|) over all parameters is {want.item():.5f}.")


L1 = Exercise(
    name="l1",
    doc="`l1(model, strength) -> strength * sum |p|` as a tensor with a gradient.",
    probe=probe_l1,
    reference_spec=l1,
    hints=(
        "The L1 penalty adds up the absolute value of every parameter of the model and multiplies the "
        "sum by the strength. It is added to the loss, so it must stay a tensor that autograd can "
        "differentiate.",
        "model.parameters() gives every weight and bias; p.abs().sum() is one parameter's share. Use "
        "torch operations throughout and do not call .item().",
        "return strength * sum(p.abs().sum() for p in model.parameters())",
    ),
    solution=l1_penalty,
)

EXERCISES = (INIT_WEIGHTS, L1)

PREDICTIONS = (
    Prediction(
        qid="05_bad_initialisation",
        question="After two epochs, which initialisation has the lower validation accuracy: zeros, "
                 "normal(1.0), or about the same (within the seed spread)?",
        options=("zeros", "normal(1.0)", "about the same"),
        explanation="zeros learns nothing from the images: on every seed its validation accuracy stays at "
                    "the share of the most frequent digit (about 11 % on full MNIST), whatever the image; "
                    "the question below asks why. normal(1.0) makes the signal grow about elevenfold per "
                    "layer: the network starts hugely over-confident and its loss is enormous, but it does "
                    "learn, slowly.",
    ),
    Prediction(
        qid="05_l1_exact_zeros",
        question="After training with Adam and the L1 penalty, what share of the FNN's linear weights is "
                 "exactly 0.0?",
        options=("none", "under 1 %", "1 to 30 %", "over 30 %"),
        explanation="A gradient step, Adam's or SGD's, moves a weight by a step of finite size; near 0 the "
                    "step jumps over 0, so a weight lands on exactly 0.0 only by accident. L1 drives many "
                    "weights NEAR zero (below 0.001 in size: the table's below_1e-3_percent); exact zeros "
                    "need a step that sets them on purpose, the proximal step (soft-thresholding) or pruning "
                    "after training.",
    ),
)
