"""Lesson 04's exercises: counting correct predictions, the pixels' mean and std, BatchNorm."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from .. import data, fnn, network_trainer
from .engine import Exercise, Prediction, Wrong, close, first_call, generator, number

# ---------------------------------------------------------------- accuracy

def probe_sum_correct_preds(fn: Callable) -> str:
    g = generator(10)
    for batch, classes in ((12, 10), (7, 3)):
        logits, y = torch.randn(batch, classes, generator=g), torch.randint(0, classes, (batch,), generator=g)
        expected = network_trainer.sum_correct_preds(logits, y)
        got = number(first_call(fn, logits, y), f"sum_correct_preds(logits [{batch}, {classes}], y)")
        if got == expected:
            continue
        if abs(got - expected / batch) < 1e-6 or abs(got - 100 * expected / batch) < 1e-4:
            raise Wrong(
                "it returns the fraction (or percentage) of correct predictions. Return the COUNT: "
                "the trainer adds the counts of all batches and divides by the number of images once."
            )
        raise Wrong(f"for a batch of {batch} it returned {got:g}; {expected} predictions are correct there.")
    return "the number of correct predictions in a batch; the trainer turns it into a percentage."


SUM_CORRECT_PREDS = Exercise(
    name="sum_correct_preds",
    doc="`sum_correct_preds(logits [B, C], y [B]) -> number of correct predictions`.",
    probe=probe_sum_correct_preds,
    reference_spec=network_trainer.sum_correct_preds,
    hints=(
        "The predicted class of an image is the one with the highest score. Count the images of the "
        "batch whose predicted class equals their label: a count, not a fraction.",
        "logits.argmax(dim=1) gives the predicted class of each image, [B]. Comparing two tensors with "
        "== gives True/False per image; summing counts the True values.",
        "return (logits.argmax(dim=1) == y).sum().item()",
    ),
)


# ---------------------------------------------------------------- mean and std

def probe_mean_std(fn: Callable) -> str:
    pixels = torch.randint(0, 256, (50, 28, 28), generator=generator(11))
    brightness = torch.linspace(0.1, 1.0, 50).view(50, 1, 1)  # images differ, as MNIST's do
    images = (pixels * brightness).to(torch.uint8)
    images[:, :5] = 0  # a black border like MNIST's
    result = first_call(fn, images)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise Wrong(f"it returned {type(result).__name__}; return a pair (mean, std).")
    mean, std = (number(v, "mean_std") for v in result)
    want_mean, want_std = data.mean_std(images)
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


MEAN_STD = Exercise(
    name="mean_std",
    doc="`mean_std(images uint8 [N, 28, 28]) -> (mean, std)` of all pixels on the [0, 1] scale.",
    probe=probe_mean_std,
    reference_spec=data.mean_std,
    hints=(
        "Normalize uses one mean and one standard deviation for every pixel of every image: compute "
        "them over all pixels of all training images together, on the scale the network sees (ToTensor "
        "divides the bytes by 255).",
        "Turn the uint8 images into floats (double precision keeps a sum over 47 million pixels accurate), "
        "divide by "
        "255, then take .mean() and .std() of the whole tensor, not per image.",
        "pixels = images.double() / 255; return pixels.mean().item(), pixels.std().item().",
    ),
)


# ---------------------------------------------------------------- BatchNorm in the dense layer

def probe_dense_layer_bn(fn: Callable) -> str:
    expected_types = {
        None: [nn.Linear, nn.ReLU],
        "before": [nn.Linear, nn.BatchNorm1d, nn.ReLU],
        "after": [nn.Linear, nn.ReLU, nn.BatchNorm1d],
    }
    x = torch.randn(16, 6, generator=generator(12))
    for batch_norm, types in expected_types.items():
        layer = first_call(fn, 6, 4, "relu", batch_norm)
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
        reference = fnn.dense_layer(6, 4, "relu", batch_norm)
        reference.load_state_dict(dict(zip(reference.state_dict(), layer.state_dict().values(), strict=True)))
        layer.train()
        if not close(layer(x), reference(x)):
            raise Wrong(f"with batch_norm={batch_norm!r} the outputs differ from linear, BatchNorm1d, ReLU.")
    return "BatchNorm1d before the activation (no linear bias) or after it, as asked."


DENSE_LAYER_BN = Exercise(
    name="dense_layer_bn",
    doc="`dense_layer(in, out, activation, batch_norm=None | \"before\" | \"after\")` with BatchNorm1d.",
    probe=probe_dense_layer_bn,
    reference_spec=fnn.dense_layer,
    hints=(
        "BatchNorm is one more module in the dense layer, either between the linear layer and the "
        "activation (\"before\") or after the activation (\"after\"); with None the layer stays as in "
        "lesson 01. Think about what BatchNorm's subtraction of the batch mean does to a bias just "
        "before it.",
        "nn.BatchNorm1d(out_features) normalizes each of the out_features numbers over the batch. Right "
        "after the linear layer, the linear layer's bias is cancelled by it: build that one with bias=False.",
        "layers = [nn.Linear(in_features, out_features, bias=batch_norm != 'before')]; append "
        "nn.BatchNorm1d(out_features) before or after the activation as batch_norm says; "
        "return nn.Sequential(*layers).",
    ),
)

EXERCISES = (SUM_CORRECT_PREDS, MEAN_STD, DENSE_LAYER_BN)

PREDICTIONS = (
    Prediction(
        qid="04_first_epoch",
        question="After the first epoch, which variant has the highest validation accuracy (mean over "
                 "the seeds)?",
        options=("raw pixels", "normalized", "BatchNorm before", "BatchNorm after"),
        explanation="Both BatchNorm variants renormalize the hidden layers' signals over every batch from "
                    "the first step on, whatever the weights do, which tends to make Adam's first steps "
                    "effective at once; normalizing the pixels only fixes the first layer's input. Whichever "
                    "variant came first, compare its lead with the spread between seeds in the table: a "
                    "lead smaller than that spread does not rank the variants.",
    ),
    Prediction(
        qid="04_high_learning_rate",
        question="At learning rate 0.01 (ten times the default), which FNN reaches the higher validation "
                 "accuracy: without BatchNorm, with BatchNorm (before the activation), or neither (within "
                 "the seed spread)?",
        options=("without BatchNorm", "with BatchNorm", "neither"),
        explanation="A large step changes the weights a lot, and without BatchNorm the next layer then sees "
                    "inputs of another scale; BatchNorm renormalizes the pre-activations over each batch, so "
                    "their scale is set by BatchNorm's own gamma and beta, not by how much the step changed "
                    "the weights before it. How much that matters for "
                    "a network of two hidden layers trained with Adam is what the runs measure: compare "
                    "how much each network's accuracy and loss change from 0.001 to 0.01 with the spread "
                    "between seeds.",
    ),
)
