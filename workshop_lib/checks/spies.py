"""Test doubles for the training-loop exercises: a model, a loss and an optimizer that record what
the learner's loop did with them (mode, grad mode, batch sizes, which gradients each step saw)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..data import TensorBatchLoader
from ..network_trainer import NetworkTrainer
from .engine import close


class SpyModel(nn.Module):
    """A linear model that records, for every forward, its mode, grad mode and batch size."""

    def __init__(self, n_in: int = 6, n_out: int = 3):
        super().__init__()
        self.linear = nn.Linear(n_in, n_out)
        self.calls: list[tuple[bool, bool, int]] = []  # (self.training, grad enabled, batch size)
        self.last_x: torch.Tensor | None = None
        self.backward_passes = 0  # counted by a hook on the weight's gradient
        self.linear.weight.register_hook(self._count_backward)

    def _count_backward(self, grad: torch.Tensor) -> None:
        self.backward_passes += 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls.append((self.training, torch.is_grad_enabled(), len(x)))
        self.last_x = x.detach()
        return self.linear(x)


class SpyLoss(nn.Module):
    """Cross-entropy (mean over the batch) that records each value and batch size."""

    def __init__(self):
        super().__init__()
        self.values: list[tuple[float, int]] = []
        self.last_y: torch.Tensor | None = None

    def forward(self, logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        loss = F.cross_entropy(logits, y)
        self.values.append((loss.item(), len(y)))
        self.last_y = y
        return loss


class SpyOptimizer(torch.optim.SGD):
    """SGD that records, at every step, whether the gradients are this batch's fresh ones."""

    def __init__(self, model: SpyModel, loss: SpyLoss, lr: float = 0.5):
        super().__init__(model.parameters(), lr=lr)
        self.model, self.loss = model, loss
        self.zero_grads = 0
        self.step_grads: list[str] = []  # per step: fresh, none, cleared, zero, accumulated, other
        self._backward_passes_seen = 0

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.zero_grads += 1
        super().zero_grad(set_to_none)

    def _gradient_kind(self) -> str:
        params = list(self.model.parameters())
        backward_ran = self.model.backward_passes > self._backward_passes_seen
        self._backward_passes_seen = self.model.backward_passes
        if any(p.grad is None for p in params):
            return "cleared" if backward_ran else "none"
        if all(not p.grad.any() for p in params):
            return "zero"
        if self.model.last_x is None or self.loss.last_y is None:
            return "other"
        weight, bias = (p.detach().clone().requires_grad_() for p in (self.model.linear.weight,
                                                                      self.model.linear.bias))
        with torch.enable_grad():  # this batch's gradient at the current parameters
            loss = F.cross_entropy(F.linear(self.model.last_x, weight, bias), self.loss.last_y)
            fresh = torch.autograd.grad(loss, [weight, bias])
        if all(close(p.grad, g) for p, g in zip(params, fresh)):
            return "fresh"
        return "accumulated" if self.step_grads else "other"

    @torch.no_grad()
    def step(self, closure=None):
        self.step_grads.append(self._gradient_kind())
        return super().step(closure)


def spy_trainer(train_sizes=(10, 4), val_sizes=(7, 4), seed: int = 0) -> NetworkTrainer:
    """A NetworkTrainer on tiny fixed data (uneven last batches) with spy model, loss, optimizer."""
    g = torch.Generator().manual_seed(seed)
    (n_train, b_train), (n_val, b_val) = train_sizes, val_sizes
    make = lambda n, b: TensorBatchLoader(  # noqa: E731
        torch.randn(n, 6, generator=g), torch.randint(0, 3, (n,), generator=g), b
    )
    train, val = make(n_train, b_train), make(n_val, b_val)
    torch.manual_seed(seed)
    model, loss = SpyModel(), SpyLoss()
    return NetworkTrainer(model, loss, SpyOptimizer(model, loss), train, val, "cpu", progress=False)
