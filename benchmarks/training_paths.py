"""What one training epoch is made of, timed path by path; `bench_training.py` runs and reports it.

  torchvision  `DataLoaderFNN` (ToTensor, Normalize, DataLoader) through `NetworkTrainer.train_epoch`
  fast         `FastDataLoaderFNN` through the same `NetworkTrainer.train_epoch`
  bare         zero_grad, forward, loss, backward, step over batches sliced once beforehand
  loader       the fast path's loader alone: each epoch's shuffle and per-batch row gather, no training
  matmuls      the same forward and backward GEMMs as plain `torch.mm` calls, nothing else
  overhead     the bare loop, same batch count and optimizer, on an FNN 8-8-8-10: what each step
               costs in Python, dispatch, autograd and the optimizer loop when the math is ~free
  floor        the epoch's GEMM FLOPs divided by the best sgemm rate measured on those shapes

loader + matmuls + overhead is what no eager loop over shuffled batches can go below: every step
gathers its batch, runs those GEMMs and makes those calls. It leaves out the elementwise work
(activations, loss, bias gradients, the optimizer's update), so the true minimum is higher.
"""

from __future__ import annotations

import gc
import time

import torch
from torch import nn

from workshop_lib import FNN, NetworkTrainer
from workshop_lib.data import DataLoaderFNN, FastDataLoaderFNN
from workshop_lib.optim import make_adam

SEED = 0
LAYERS = [(784, 256), (256, 256), (256, 10)]  # (in, out) of each linear layer
OPTIMIZERS = ["sgd", "adam", "adam_fused"]
PATHS = ["torchvision", "fast", "bare", "loader", "matmuls", "overhead", "floor"]
TIMED_PATHS = ["torchvision", "fast", "bare", "overhead"]  # these train, with each optimizer
UNTIMED_PATHS = ["loader", "matmuls"]  # no optimizer: one value per batch size
TINY_WIDTH = 8  # overhead path: FNN 8-8-8-10, 1,120 GEMM FLOPs per sample against 1.2 million


def make_optimizer(name: str, model: nn.Module) -> torch.optim.Optimizer:
    """SGD (lr 0.01), Adam (lr 1e-3) as torch defaults it, or Adam through `make_adam` (fused)."""
    if name == "sgd":
        return torch.optim.SGD(model.parameters(), lr=0.01)
    if name == "adam":
        return torch.optim.Adam(model.parameters(), lr=1e-3, fused=False)
    return make_adam(model.parameters(), lr=1e-3)


def seeded_model(width: int | None = None) -> FNN:
    """Lesson 03's FNN 784-256-256-10; with `width`, an FNN width-width-width-10 of the same layers."""
    torch.manual_seed(SEED)
    if width is None:
        return FNN(784, 256, 256, 10, activation="relu")
    return FNN(width, width, width, 10, activation="relu")


def epoch_gemm_flops(samples: int) -> int:
    """GEMM FLOPs of one training epoch: forward 2*B*in*out per linear, backward twice that,
    except the first layer, whose input needs no gradient (autograd skips that GEMM)."""
    per_sample = 0
    for i, (n_in, n_out) in enumerate(LAYERS):
        per_sample += 2 * n_in * n_out * (2 if i == 0 else 3)
    return per_sample * samples


def gemm_shapes(batch: int) -> list[tuple[int, int, int]]:
    """(m, k, n) of each GEMM in one training step at batch size `batch`."""
    shapes = [(batch, n_in, n_out) for n_in, n_out in LAYERS]  # forward: x @ W.T
    shapes += [(n_out, batch, n_in) for n_in, n_out in LAYERS]  # weight grads: g.T @ x
    shapes += [(batch, n_out, n_in) for n_in, n_out in LAYERS[1:]]  # input grads: g @ W
    return shapes


def sgemm_gflops(m: int, k: int, n: int, min_seconds: float) -> float:
    """Measured rate of `torch.mm` on [m, k] @ [k, n] float32, into a preallocated output."""
    a, b, out = torch.randn(m, k), torch.randn(k, n), torch.empty(m, n)
    torch.mm(a, b, out=out)  # warm-up
    repeats, elapsed = 1, 0.0
    while elapsed < min_seconds:
        repeats *= 2
        start = time.perf_counter()
        for _ in range(repeats):
            torch.mm(a, b, out=out)
        elapsed = time.perf_counter() - start
    return 2 * m * k * n * repeats / elapsed / 1e9


class Workload:
    """Loaders, models and optimizers for one batch size, built once and reused every round."""

    def __init__(self, batch: int, subset_size: int | None):
        self.batch = batch
        kwargs = dict(batch_size=batch, validation_ratio=0.0, normalize=True, seed=SEED,
                      subset_size=subset_size)
        self.torchvision_data = DataLoaderFNN(**kwargs)
        self.fast_data = FastDataLoaderFNN(**kwargs)
        images, labels = self.fast_data.train_loader.images, self.fast_data.train_loader.labels
        self.samples = len(labels)
        self.slices = list(zip(images.split(batch), labels.split(batch), strict=True))  # no copies
        tiny_images = torch.randn(self.samples, TINY_WIDTH, generator=torch.Generator().manual_seed(SEED))
        self.tiny_slices = list(zip(tiny_images.split(batch), labels.split(batch), strict=True))
        self.models = {}  # (path, optimizer) -> (model, optimizer); one seeded model each
        for path in TIMED_PATHS:
            for name in OPTIMIZERS:
                model = seeded_model(TINY_WIDTH if path == "overhead" else None)
                self.models[path, name] = model, make_optimizer(name, model)
        self.weights = [layer[0].weight.detach().clone() for layer in seeded_model().layers]  # [out, in]

    def trainer(self, path: str, name: str) -> NetworkTrainer:
        model, optimizer = self.models[path, name]
        data = self.torchvision_data if path == "torchvision" else self.fast_data
        return NetworkTrainer(model, nn.CrossEntropyLoss(), optimizer, data.train_loader,
                              data.val_loader, "cpu", progress=False)

    def time_trainer(self, path: str, name: str) -> float:
        trainer = self.trainer(path, name)
        start = time.perf_counter()
        trainer.train_epoch()
        return time.perf_counter() - start

    def time_bare(self, name: str, path: str = "bare") -> float:
        model, optimizer = self.models[path, name]
        loss_fn = nn.CrossEntropyLoss()
        model.train()
        start = time.perf_counter()
        for x, y in self.tiny_slices if path == "overhead" else self.slices:
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
        return time.perf_counter() - start

    def time_loader(self) -> float:
        gc.collect()
        start = time.perf_counter()
        for _ in self.fast_data.train_loader:
            pass
        return time.perf_counter() - start

    def time_matmuls(self) -> float:
        w1, w2, w3 = self.weights  # [256, 784], [256, 256], [10, 256]
        gc.collect()
        start = time.perf_counter()
        for x, _ in self.slices:  # x [B, 784]
            h1 = torch.mm(x, w1.t())  # [B, 256]
            h2 = torch.mm(h1, w2.t())  # [B, 256]
            g3 = torch.mm(h2, w3.t())  # [B, 10], standing in for the loss gradient
            torch.mm(g3.t(), h2)  # dW3 [10, 256]
            g2 = torch.mm(g3, w3)  # [B, 256]
            torch.mm(g2.t(), h1)  # dW2 [256, 256]
            g1 = torch.mm(g2, w2)  # [B, 256]
            torch.mm(g1.t(), x)  # dW1 [256, 784]
        return time.perf_counter() - start

    def time(self, path: str, name: str) -> float:
        gc.collect()  # the garbage of earlier epochs is not collected inside this one
        if path in ("bare", "overhead"):
            return self.time_bare(name, path)
        return self.time_trainer(path, name)
