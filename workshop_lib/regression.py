"""Digits as numbers: one linear output, mean squared error against the digit's value, and what goes wrong.

The trainer passes the labels `y [B]` (int64) to the loss unchanged, so the conversion to float
targets `[B, 1]` happens, visibly, inside `DigitRegressionLoss`.
"""

from __future__ import annotations

import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from .network_user import loader_outputs


class DigitRegressionLoss(nn.Module):
    """MSE between the network's single output `[B, 1]` and the digit's value as a float."""

    def forward(self, output: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        if output.dim() != 2 or output.shape[1] != 1:
            raise ValueError(
                f"Expected one number per image, an output of shape [B, 1], got {list(output.shape)}. "
                f"Build the network with output_size=1."
            )
        target = y.float().unsqueeze(1)  # [B] int64 -> [B, 1] float; [B] vs [B, 1] would broadcast to [B, B]
        return F.mse_loss(output, target)


def rounded_digits(output: torch.Tensor) -> torch.Tensor:
    """The class a regression output stands for: rounded to the nearest digit, kept in 0..9; `[B]`."""
    return output.squeeze(1).round().clamp(0, 9).long()


def regression_correct_preds(output: torch.Tensor, y: torch.Tensor) -> int:
    """How many rounded outputs `[B, 1]` equal the labels `[B]`: the trainer's `sum_correct_preds`."""
    return (rounded_digits(output) == y).sum().item()


def regression_outputs(model: nn.Module, loader) -> tuple[torch.Tensor, torch.Tensor]:
    """The raw outputs `[N]` and labels `[N]` for a whole loader, in eval mode."""
    outputs, labels = [], []
    for _, y, output in loader_outputs(model, loader):  # output [B, 1]
        outputs.append(output.squeeze(1).cpu())
        labels.append(y.cpu())
    return torch.cat(outputs), torch.cat(labels)


def per_digit_table(outputs: torch.Tensor, labels: torch.Tensor) -> pd.DataFrame:
    """Per true digit: mean and spread of the raw outputs, and the accuracy after rounding."""
    rounded = outputs.round().clamp(0, 9).long()
    rows = []
    for digit in range(10):
        mine = labels == digit
        if not mine.any():
            continue
        rows.append({
            "digit": digit,
            "images": int(mine.sum()),
            "mean_output": outputs[mine].mean().item(),
            "std_output": outputs[mine].std().item() if mine.sum() > 1 else 0.0,
            "rounded_accuracy": 100.0 * (rounded[mine] == digit).float().mean().item(),
        })
    return pd.DataFrame(rows).set_index("digit")


def squared_error_table() -> pd.DataFrame:
    """(true − predicted)² for every pair of digits: what MSE charges for each confusion."""
    digits = torch.arange(10)
    errors = (digits.view(10, 1) - digits.view(1, 10)).pow(2)  # [true, predicted]
    table = pd.DataFrame(errors.numpy(), index=digits.numpy(), columns=digits.numpy())
    table.index.name, table.columns.name = "true", "predicted"
    return table


def cross_entropy_of_a_mistake(true: int, predicted: int, confidence: float = 0.9) -> float:
    """Cross-entropy when `confidence` goes to `predicted` and the rest is spread over the others.

    It depends only on the probability left for the true class: which wrong digit gets the
    confidence does not matter, unlike in `squared_error_table`.
    """
    probs = torch.full((10,), (1.0 - confidence) / 9)
    probs[predicted] = confidence
    return -probs[true].log().item()
