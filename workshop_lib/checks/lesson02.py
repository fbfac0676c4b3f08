"""Lesson 02's exercises: the two epochs of the training loop, checked with spies."""

from __future__ import annotations

from collections.abc import Callable

import torch

from ..network_trainer import NetworkTrainer
from .engine import Exercise, Prediction, Wrong, first_call, number
from .spies import spy_trainer


def train_epoch(trainer: NetworkTrainer) -> float:
    """The reference: `NetworkTrainer.train_epoch`'s mean loss per sample, as the exercise returns it."""
    return NetworkTrainer.train_epoch(trainer)[0]


def validate_epoch(trainer: NetworkTrainer) -> float:
    """The reference: `NetworkTrainer.validate_epoch`'s mean loss per sample, as the exercise returns it."""
    return NetworkTrainer.validate_epoch(trainer)[0]


def _batch_sizes(loader) -> list[int]:
    return [len(y) for _, y in loader]


def _check_mean(returned: float, values: list[tuple[float, int]], what: str) -> None:
    """The returned loss must be the mean per sample of the recorded batch losses."""
    per_sample = sum(v * n for v, n in values) / sum(n for _, n in values)
    if abs(returned - per_sample) < 1e-5:
        return
    if abs(returned - sum(v for v, _ in values) / len(values)) < 1e-5:
        raise Wrong(
            f"{what} returns the mean of the batch losses. The last batch is smaller, so weigh each "
            f"batch by its size: add loss.item() * len(y), then divide by the number of samples."
        )
    sums = (sum(v * n for v, n in values), sum(v for v, _ in values))
    if any(abs(returned - total) < 1e-4 for total in sums):
        raise Wrong(f"{what} returns a sum; divide by the number of samples to get the loss per sample.")
    if abs(returned - values[-1][0]) < 1e-5:
        raise Wrong(f"{what} returns the last batch's loss only; average over the whole epoch.")
    raise Wrong(f"{what} returned {returned:.5f}; this epoch's mean loss per sample is {per_sample:.5f}.")


def probe_train_epoch(train_epoch: Callable) -> str:
    trainer = spy_trainer()
    model, loss, optimizer = trainer.model, trainer.loss_fn, trainer.optimizer
    batches = _batch_sizes(trainer.train_loader)  # [4, 4, 2]
    model.eval()  # as validate_epoch leaves it: train_epoch must switch training mode on
    returned = number(first_call(train_epoch, trainer), "train_epoch")
    sizes = [n for _, _, n in model.calls]
    if not sizes:
        raise Wrong("train_epoch never called the model; loop over trainer.train_loader.")
    if sizes == _batch_sizes(trainer.val_loader):
        raise Wrong("train_epoch went over trainer.val_loader; train on trainer.train_loader.")
    if sizes != batches:
        raise Wrong(f"the model saw batches of sizes {sizes}; one pass over train_loader gives {batches}.")
    if not all(training for training, _, _ in model.calls):
        raise Wrong(
            "the model was in eval mode while training: call model.train() at the start of the "
            "epoch (validation leaves it in eval mode, where dropout and batch norm behave differently)."
        )
    if not all(grad for _, grad, _ in model.calls):
        raise Wrong("training ran without gradients (torch.no_grad); only validation runs without them.")
    if not optimizer.step_grads:
        raise Wrong("optimizer.step() was never called, so the parameters never change.")
    if len(optimizer.step_grads) != len(batches):
        steps = len(optimizer.step_grads)
        raise Wrong(f"optimizer.step() ran {steps} times; expected {len(batches)}, one per batch.")
    kinds = optimizer.step_grads
    if "none" in kinds:
        raise Wrong("there were no gradients when optimizer.step() ran: call loss.backward() before it.")
    if "zero" in kinds or "cleared" in kinds:
        raise Wrong(
            "the gradients were zero when optimizer.step() ran: zero_grad() must come before "
            "loss.backward(), not between backward() and step()."
        )
    if "accumulated" in kinds:
        raise Wrong(
            "the gradients of earlier batches were still added in at step "
            f"{kinds.index('accumulated') + 1}: call optimizer.zero_grad() in every batch, before "
            "loss.backward() (PyTorch adds new gradients to the old ones)."
        )
    if "other" in kinds:
        raise Wrong("the gradients at optimizer.step() are not this batch's: call backward() on its loss.")
    _check_mean(returned, loss.values, "train_epoch")
    loss.values.clear()
    second = number(first_call(train_epoch, trainer), "train_epoch")
    try:
        _check_mean(second, loss.values, "train_epoch, called a second time,")
    except Wrong:
        raise Wrong(
            "the second epoch's loss is not its own mean: start the running totals at zero inside "
            "train_epoch, so that each epoch begins afresh."
        ) from None
    return "train mode, zero_grad, forward, loss, backward, step for every batch; mean loss per sample."


def probe_validate_epoch(validate_epoch: Callable) -> str:
    trainer = spy_trainer()
    model, loss = trainer.model, trainer.loss_fn
    model.train()  # as train_epoch leaves it
    before = [p.detach().clone() for p in model.parameters()]
    returned = number(first_call(validate_epoch, trainer), "validate_epoch")
    sizes = [n for _, _, n in model.calls]
    if not sizes:
        raise Wrong("validate_epoch never called the model; loop over trainer.val_loader.")
    if sizes == _batch_sizes(trainer.train_loader):
        raise Wrong("validate_epoch went over trainer.train_loader; validate on trainer.val_loader.")
    if sizes != _batch_sizes(trainer.val_loader):
        raise Wrong(f"the model saw batches of sizes {sizes}; expected one pass over val_loader.")
    if any(p.grad is not None for p in model.parameters()) or trainer.optimizer.step_grads:
        raise Wrong("validate_epoch computed gradients or stepped the optimizer; validation must not learn.")
    if not all(torch.equal(a, b) for a, b in zip(before, model.parameters())):
        raise Wrong("validate_epoch changed the parameters; validation only measures.")
    if any(training for training, _, _ in model.calls):
        raise Wrong(
            "the model was in train mode during validation: call model.eval() first (dropout off, "
            "batch norm uses its running statistics)."
        )
    if any(grad for _, grad, _ in model.calls):
        raise Wrong(
            "validation ran with gradients enabled: put the loop inside `with torch.no_grad():`. "
            "Then no graph is recorded, which saves the memory of every activation and the time to build it."
        )
    _check_mean(returned, loss.values, "validate_epoch")
    loss.values.clear()
    second = number(first_call(validate_epoch, trainer), "validate_epoch")
    if abs(second - returned) > 1e-6:
        raise Wrong(
            "a second validation of the same model gave another number: start the running totals "
            "at zero inside validate_epoch."
        )
    return "eval mode, no gradients, mean loss per sample over the validation data."


TRAIN_EPOCH = Exercise(
    name="train_epoch",
    doc="`train_epoch(trainer) -> mean training loss per sample`.",
    probe=probe_train_epoch,
    reference_spec=train_epoch,
    hints=(
        "One epoch is one pass over the training batches. For each batch: forget the old gradients, "
        "compute the loss, work out the new gradients, let the optimizer take a step. The model must be "
        "in training mode, and the epoch's loss is the mean over all samples.",
        "trainer.model, trainer.loss_fn, trainer.optimizer, trainer.train_loader and trainer.device hold "
        "what you need. The calls are model.train(), optimizer.zero_grad(), loss.backward() and "
        "optimizer.step(). The last batch can be smaller, so add up loss.item() * len(y) and divide by the "
        "number of samples at the end.",
        "model.train(); totals at 0; for x, y in trainer.train_loader: move x, y to trainer.device, "
        "optimizer.zero_grad(), logits = model(x), loss = loss_fn(logits, y), loss.backward(), "
        "optimizer.step(), total_loss += loss.item() * len(y), samples += len(y). "
        "Return total_loss / samples.",
    ),
    solution=NetworkTrainer.train_epoch,
)

VALIDATE_EPOCH = Exercise(
    name="validate_epoch",
    doc="`validate_epoch(trainer) -> mean validation loss per sample`.",
    probe=probe_validate_epoch,
    reference_spec=validate_epoch,
    hints=(
        "Validation only measures: one pass over the validation batches, the loss of each, no learning. "
        "Some layers behave differently while measuring, and no gradients are needed.",
        "model.eval() switches those layers to measuring; `with torch.no_grad():` records no graph. "
        "Never call backward or step here. Weigh each batch's loss by its size, as in train_epoch.",
        "model.eval(); totals at 0; with torch.no_grad(): for x, y in trainer.val_loader: move x, y to "
        "trainer.device, the loss of model(x), total_loss += loss.item() * len(y), samples += len(y). "
        "Return total_loss / samples.",
    ),
    solution=NetworkTrainer.validate_epoch,
)

EXERCISES = (TRAIN_EPOCH, VALIDATE_EPOCH)

PREDICTIONS = (
    Prediction(
        qid="02_initial_loss",
        question="Before any training, what mean cross-entropy loss per sample do you expect on the "
                 "validation set (ten classes)?",
        explanation="The random initial weights give ten small logits of about the same size, so the softmax "
                    "gives every digit a probability of about 1/10 and the loss of each image is about "
                    "-log(1/10) = ln 10 = 2.303. A run usually lands a little above it: the logits are not "
                    "exactly equal, and an uneven guess pays more on the images where the truth got less "
                    "than 1/10.",
        abs_tol=0.1,
    ),
)
