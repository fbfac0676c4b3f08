"""Lesson 01's exercises (the dense layer, the FNN, the flatten transform) and predictions."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from .. import fnn as reference_fnn
from .engine import Exercise, Prediction, Wrong, close, first_call, linears

# ---------------------------------------------------------------- dense_layer

def probe_dense_layer(dense_layer: Callable) -> str:
    x = torch.randn(5, 4, generator=torch.Generator().manual_seed(0))  # [B=5, in=4]
    for activation, expected_fn in (("relu", torch.relu), (None, lambda t: t), ("tanh", torch.tanh)):
        layer = first_call(dense_layer, 4, 3, activation)
        if not isinstance(layer, nn.Sequential):
            raise Wrong(
                f"dense_layer(4, 3, {activation!r}) returned {type(layer).__name__}; "
                f"return an nn.Sequential of the linear layer and the activation."
            )
        found = linears(layer)
        if len(found) != 1:
            raise Wrong(f"dense_layer(4, 3, {activation!r}) holds {len(found)} nn.Linear; expected one.")
        linear = found[0]
        if (linear.in_features, linear.out_features) != (4, 3):
            raise Wrong(
                f"dense_layer(4, 3) made nn.Linear({linear.in_features}, {linear.out_features}); "
                f"expected nn.Linear(4, 3): inputs first, outputs second."
            )
        with torch.no_grad():
            out = layer(x)
            plain = linear(x)
        if out.shape != (5, 3):
            raise Wrong(f"a batch [5, 4] gave an output of shape {list(out.shape)}; expected [5, 3].")
        if close(out, expected_fn(plain)):
            continue
        if activation is None:
            raise Wrong(
                "dense_layer(4, 3, activation=None) applied an activation anyway. With None, the "
                "layer must be linear only: that is what the output layer needs (raw logits)."
            )
        if close(out, plain):
            raise Wrong(f"dense_layer(4, 3, {activation!r}) applied no activation; add make_activation(...).")
        raise Wrong(
            f"dense_layer(4, 3, {activation!r}) does not compute {activation}(linear(x)); "
            f"use make_activation(activation) after the linear layer."
        )
    return "a linear layer followed by the activation asked for, none when activation=None."


DENSE_LAYER = Exercise(
    name="dense_layer",
    doc="`dense_layer(in_features, out_features, activation=\"relu\")`: a linear layer and its activation.",
    probe=probe_dense_layer,
    reference_spec=reference_fnn.dense_layer,
    hints=(
        "A dense layer is two steps in a row: a linear map from in_features to out_features numbers, "
        "then the activation function, applied to each number. With activation=None there is no second "
        "step: the output layer gives raw scores.",
        "nn.Linear(in_features, out_features) is the linear map; make_activation(activation) gives the "
        "activation module. nn.Sequential(...) chains modules so that the output of one feeds the next.",
        "layers = [nn.Linear(in_features, out_features)]; if activation is not None: "
        "layers.append(make_activation(activation)); return nn.Sequential(*layers).",
    ),
)


# ---------------------------------------------------------------- FNN

def _reference_with_weights_of(model: nn.Module, **config) -> reference_fnn.FNN:
    """The reference FNN carrying the same Linear weights as the learner's model."""
    reference = reference_fnn.FNN(**config)
    for mine, theirs in zip(linears(reference), linears(model)):
        mine.weight.data.copy_(theirs.weight.data)
        mine.bias.data.copy_(theirs.bias.data)
    return reference


def probe_fnn(fnn_class: type) -> str:
    configs = [
        dict(input_size=784, hidden1=256, hidden2=256, output_size=10, activation="relu"),
        dict(input_size=12, hidden1=7, hidden2=5, output_size=3, activation="tanh"),
    ]
    for config in configs:
        model = first_call(fnn_class, *config.values())
        if not isinstance(model, nn.Module):
            raise Wrong(f"FNN(...) built a {type(model).__name__}; the class must subclass nn.Module.")
        found = linears(model)
        shapes = [(m.in_features, m.out_features) for m in found]
        n_in, h1, h2, n_out = (config[k] for k in ("input_size", "hidden1", "hidden2", "output_size"))
        expected = [(n_in, h1), (h1, h2), (h2, n_out)]
        if len(found) != 3:
            raise Wrong(
                f"FNN({n_in}, {h1}, {h2}, {n_out}) holds {len(found)} linear layers {shapes}; two hidden "
                f"layers and an output layer make 3: {expected}. Did you register them as attributes?"
            )
        if shapes[0][0] != n_in:
            raise Wrong(
                f"the first layer takes {shapes[0][0]} inputs, but input_size is {n_in}. A 28x28 "
                f"image flattened into a vector has 28 * 28 = 784 numbers: use input_size."
            )
        if shapes != expected:
            raise Wrong(f"FNN({n_in}, {h1}, {h2}, {n_out}) has linear layers {shapes}; expected {expected}.")
        x = torch.randn(6, n_in, generator=torch.Generator().manual_seed(1))
        with torch.no_grad():
            try:
                out = model(x)
            except NotImplementedError:
                raise
            except Exception as err:
                raise Wrong(f"forward on a batch [6, {n_in}] raised {type(err).__name__}: {err}") from err
            logits = _reference_with_weights_of(model, **config)(x)
        if not isinstance(out, torch.Tensor) or out.shape != (6, n_out):
            shape = list(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
            raise Wrong(f"forward on a batch [6, {n_in}] returned {shape}; expected logits [6, {n_out}].")
        if close(out, logits):
            continue
        if close(out, torch.softmax(logits, dim=1)) or close(out.sum(dim=1), torch.ones(6)):
            raise Wrong(
                "forward returns probabilities (a softmax at the end). Return the logits: "
                "CrossEntropyLoss applies log-softmax itself, more exactly than log(softmax(x))."
            )
        if close(out, torch.log_softmax(logits, dim=1)):
            raise Wrong("forward returns log-probabilities (log_softmax); return the logits.")
        if (out >= 0).all() and close(out, torch.relu(logits)):
            raise Wrong(
                "the output layer has a ReLU: build it with activation=None. Logits must be free to "
                "be negative; a ReLU there clips every negative score to 0."
            )
        raise Wrong(
            f"with the same weights, forward gives other numbers than the reference FNN "
            f"(activation={config['activation']!r}). Apply the activation given to the constructor "
            f"after each hidden layer, and nothing after the last one."
        )
    return "three linear layers of the right sizes, activations between them, logits out."


FNN = Exercise(
    name="fnn",
    doc="the `FNN` class: its constructor (two hidden layers, an output layer) and `forward` (logits).",
    probe=probe_fnn,
    reference_spec=reference_fnn.FNN,
    hints=(
        "The network is three dense layers in a row: input -> hidden1 -> hidden2 -> output. The hidden "
        "layers use the activation given to the constructor; the output layer has none (logits). "
        "forward only passes x through them.",
        "In __init__, call super().__init__() first, then keep the layers as attributes (PyTorch finds "
        "the parameters of modules stored on self). Your dense_layer builds each of them; "
        "nn.Sequential can hold all three.",
        "super().__init__(); self.layers = nn.Sequential(dense_layer(input_size, hidden1, activation), "
        "dense_layer(hidden1, hidden2, activation), dense_layer(hidden2, output_size, activation=None)). "
        "In forward: return self.layers(x).",
    ),
)


# ---------------------------------------------------------------- flatten

def probe_flatten(flatten: Callable) -> str:
    image = torch.rand(1, 28, 28, generator=torch.Generator().manual_seed(2))  # what ToTensor gives
    out = first_call(flatten, image)
    if not isinstance(out, torch.Tensor):
        raise Wrong(f"flatten returned {type(out).__name__}; return a torch.Tensor.")
    if out.shape == (1, 784):
        raise Wrong(
            "flatten returned [1, 784]. The transform sees one image [1, 28, 28] at a time (the "
            "DataLoader adds the batch dimension later), so return a vector [784]."
        )
    if out.shape != (784,):
        raise Wrong(f"flatten turned an image [1, 28, 28] into {list(out.shape)}; expected [784].")
    if not torch.equal(out, image.reshape(-1)):
        if torch.equal(out.sort().values, image.reshape(-1).sort().values):
            raise Wrong("flatten keeps the pixels but changes their order; lay them out row after row.")
        raise Wrong("flatten changed the pixel values; it must only change the shape.")
    return "one image [1, 28, 28] becomes a vector [784], row after row."


FLATTEN = Exercise(
    name="flatten",
    doc="the flatten transform: one image `[1, 28, 28]` becomes a vector `[784]`.",
    probe=probe_flatten,
    reference_spec=torch.flatten,
    hints=(
        "The transform sees one image at a time, as ToTensor gives it: [1, 28, 28]. Only the shape "
        "changes: the same 784 pixels, row after row, in a single dimension.",
        "A tensor's reshape (or view) gives the same numbers in another shape; -1 lets PyTorch work "
        "out that dimension. Do not keep a leading dimension of 1: the DataLoader adds the batch "
        "dimension later.",
        "return image.reshape(-1), or torch.flatten(image).",
    ),
    solution="flatten = torch.flatten  # [1, 28, 28] -> [784]; the same as lambda image: image.reshape(-1)",
)

EXERCISES = (DENSE_LAYER, FNN, FLATTEN)

PREDICTIONS = (
    Prediction(
        qid="01_parameters",
        question="How many parameters (weights and biases) does FNN(784, 256, 256, 10) have?",
        explanation="Each nn.Linear(n_in, n_out) holds n_in x n_out weights and n_out biases: "
                    "784 x 256 + 256 + 256 x 256 + 256 + 256 x 10 + 10 = 269,322.",
        rel_tol=0.01,
    ),
)
