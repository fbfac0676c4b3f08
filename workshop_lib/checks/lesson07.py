"""Lesson 07's exercises: reading a drawn digit (on the model's device), the shift matrices."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from ..augmentation import affine_matrices, apply_affine, centre_of_mass
from ..drawings import Style, draw_digit
from ..preprocessing import naive_resize
from .engine import Exercise, Prediction, Wrong, close, first_call

# ---------------------------------------------------------------- own handwriting

# digit, height, centre, stroke of three drawings on a 280 x 280 canvas
DRAWINGS = ((3, 90, (80, 90), 6), (7, 200, (140, 140), 2), (0, 60, (200, 200), 9))


class ForwardCounter(nn.Module):
    """Wraps a model and counts the forward passes that ran to the end."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model
        self.forwards = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.model(x)
        self.forwards += 1
        return out


def check_device(predict_drawing: Callable, image) -> None:
    """Run `predict_drawing` with a model on PyTorch's `meta` device: the input must follow the model.

    A meta tensor has a shape but no values, so a model there stands for one on a GPU (CUDA, MPS)
    on any machine: a CPU input fed to it raises a device error. Reading the result (`int`, `.item()`)
    fails on meta too, but only after the forward pass; that part is not the learner's mistake.
    """
    model = ForwardCounter(nn.Sequential(nn.Linear(784, 10))).to("meta")
    try:
        predict_drawing(model, image)
    except Exception as err:
        if model.forwards:
            return  # the forward ran on the model's device; only reading a value-less result failed
        if "device" in str(err) or "meta" in str(err):
            raise Wrong(
                "move the input to the model's device: x.to(next(model.parameters()).device). The model "
                "may live on a GPU (CUDA, or MPS on a Mac) while mnist_style gives a CPU tensor; then "
                f"the forward pass fails. (Checked with a model on PyTorch's meta device: {err})"
            ) from None
        raise Wrong(f"with the model on another device it raised {type(err).__name__}: {err}") from err


def probe_predict_drawing(fn: Callable) -> str:
    torch.manual_seed(15)
    model = nn.Sequential(nn.Linear(784, 10))
    drawings = [draw_digit(d, Style(height=h, centre=c, stroke=s)) for d, h, c, s in DRAWINGS]
    for image in drawings:
        got = first_call(fn, model, image)
        if isinstance(got, torch.Tensor) and got.numel() == 1:
            got = int(got)
        if not isinstance(got, (int, np.integer)):
            raise Wrong(f"it returned {type(got).__name__}; return the predicted digit as an int.")
        want = PREDICT_DRAWING.reference(model, image)
        if got == want:
            continue
        with torch.no_grad():
            naive = int(model(naive_resize(image).unsqueeze(0)).argmax(dim=1))
        if got == naive:
            raise Wrong("that is the prediction for the naively resized picture: use mnist_style(image).")
        raise Wrong("the predicted digit differs: mnist_style(image), unsqueeze(0) for a batch, "
                    "argmax over dim 1.")
    check_device(fn, drawings[0])
    return ("MNIST-style preprocessing, a batch of one on the model's device, the class with the "
            "highest score.")


PREDICT_DRAWING = Exercise(
    name="predict_drawing",
    doc="`predict_drawing(model, image) -> int`, the digit the model reads, on the model's device.",
    probe=probe_predict_drawing,
    reference_spec="workshop_lib.widgets:read_digit",  # imported on first use: no widgets in the checks
    hints=(
        "Prepare the picture the way MNIST's digits were prepared, make it a batch of one image, put it "
        "where the model's parameters are (CPU or GPU), and take the class with the highest score.",
        "mnist_style(image) gives a [784] tensor on the CPU; .unsqueeze(0) makes it [1, 784]. "
        "next(model.parameters()).device is the model's device; x.to(device) moves the input there. "
        "Use model.eval() and torch.no_grad() for a prediction.",
        "x = mnist_style(image).unsqueeze(0) is a batch [1, 784]; model.eval(); under torch.no_grad(), "
        "return int(model(x.to(next(model.parameters()).device)).argmax(dim=1)).",
    ),
)


# ---------------------------------------------------------------- shift matrices for augmentation

def shift_matrices(shift_px: torch.Tensor) -> torch.Tensor:
    """The reference: `affine_matrices` with no rotation and no scaling, `[B, 2, 3]`."""
    b = len(shift_px)
    return affine_matrices(torch.zeros(b), shift_px, torch.ones(b))


def probe_shift_matrices(fn: Callable) -> str:
    shift = torch.tensor([[3.0, 0.0], [0.0, -2.0], [-1.0, 2.0]])
    theta = first_call(fn, shift)
    if not isinstance(theta, torch.Tensor) or theta.shape != (3, 2, 3):
        shape = list(theta.shape) if isinstance(theta, torch.Tensor) else type(theta).__name__
        raise Wrong(f"for 3 shifts it returned {shape}; expected a tensor [3, 2, 3].")
    image = torch.zeros(1, 28, 28)
    image[0, 10:18, 11:17] = 1.0  # a block in the middle
    x = image.flatten(1).repeat(3, 1)
    moved = centre_of_mass(apply_affine(x, theta.float())) - centre_of_mass(x)  # [3, 2] in pixels
    if close(moved, shift):
        return "each image moves by its own shift, in pixels."
    if close(moved, -shift):
        raise Wrong(
            "the images move the wrong way: affine_grid asks, for each OUTPUT pixel, where to read in "
            "the input. To move the image right, read from the left: the translation is minus the shift."
        )
    if close(moved * 14, shift) or close(-moved * 14, shift):
        raise Wrong("affine_grid measures in units where the image is 2 wide: a pixel is 2 / 28, not 1.")
    raise Wrong(f"the shifts came out as {moved.round(decimals=2).tolist()}; expected {shift.tolist()}.")


SHIFT_MATRICES = Exercise(
    name="shift_matrices",
    doc="`shift_matrices(shift_px [B, 2]) -> [B, 2, 3]` matrices for `F.affine_grid`.",
    probe=probe_shift_matrices,
    reference_spec=shift_matrices,
    hints=(
        "F.affine_grid takes one 2 x 3 matrix per image: a 2 x 2 part that turns and scales (here: "
        "neither) and a last column that shifts. Think about which way it shifts: affine_grid asks, "
        "for each OUTPUT pixel, where to read in the input.",
        "For a pure shift the 2 x 2 part is the identity. affine_grid measures positions in units where "
        "the image spans [-1, 1]: 2 units for 28 pixels. To move the image right, read from the left.",
        "theta = zeros [B, 2, 3]; the 2x2 part is the identity; the last column is -shift_px * 2 / 28 "
        "(minus: affine_grid says where to read from; 2 / 28: the image is 2 units wide).",
    ),
    solution=affine_matrices,
)

EXERCISES = (PREDICT_DRAWING, SHIFT_MATRICES)

# ---------------------------------------------------------------- predictions

NAIVE_OR_MNIST_STYLE = Prediction(
    qid="07_naive_or_mnist_style",
    question=("The plain network (trained on MNIST's raw pixels) reads 1,600 foreign digits: printed, small "
              "and off-centre, handwritten in 8 x 8 blocks, thin, thick, pixel and mouse pens. Which way of "
              "preparing them will it read more of correctly (about the same: within 2 points of each "
              "other)?"),
    options=("naive resize", "MNIST-style", "about the same"),
    explanation=("squeezed naively, a digit keeps the place and size it had on its page, and its pen: a "
                 "small digit in a corner lights up pixels the network never saw lit for it. The MNIST-style "
                 "preparation crops it to its ink, scales it to 20 pixels, gives it MNIST's pen width and "
                 "centres it by mass: the images the network learnt from. An FNN has no notion of shape "
                 "that would survive a shift: each of its 784 inputs is one fixed pixel."),
)

PREDICTIONS = (NAIVE_OR_MNIST_STYLE,)
