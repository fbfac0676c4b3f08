"""Checks a learner runs after each exercise: a clear pass, or what exactly is wrong, and a hint.

Every check tests BEHAVIOUR against the reference in workshop_lib (shapes, parameter counts,
numbers on fixed inputs, spies that record what the code did), never the source text, so any
correct solution passes. Each check prints its verdict and returns the learner's object when it
is correct, else the reference, so the lesson goes on even when an exercise is not done:

    dense_layer = check.dense_layer(dense_layer)
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from . import fnn as reference_fnn
from .data import TensorBatchLoader
from .network_trainer import NetworkTrainer

CORRECT, INCORRECT, NOT_DONE = "correct", "incorrect", "not done"


class Wrong(Exception):
    """The learner's code runs but does something other than the exercise asks."""


@dataclass
class Outcome:
    """One check's verdict: `status` is CORRECT, INCORRECT or NOT_DONE."""

    exercise: str
    status: str
    message: str

    def __str__(self) -> str:
        label = {CORRECT: "Correct", INCORRECT: "Not yet right", NOT_DONE: "Not done yet"}[self.status]
        return f"{label} [{self.exercise}]: {self.message}"


def _close(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.shape == b.shape and torch.allclose(a, b, rtol=1e-4, atol=1e-5)


def _number(value, what: str) -> float:
    """The learner's returned loss as a float, or a clear complaint."""
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            raise Wrong(f"{what} returned a tensor of shape {list(value.shape)}; return one number.")
        if value.requires_grad:
            raise Wrong(
                f"{what} returned a tensor that still carries its autograd graph. Add up "
                f"`loss.item() * len(y)`, plain Python floats: summing loss tensors keeps every "
                f"batch's graph alive in memory."
            )
        return float(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    raise Wrong(f"{what} returned {value!r} ({type(value).__name__}); return the mean loss as a float.")


def _first_call(fn: Callable, *args):
    """Call the learner's function; NotImplementedError passes through as 'not done'."""
    try:
        return fn(*args)
    except (NotImplementedError, Wrong):
        raise
    except Exception as err:
        raise Wrong(f"calling it raised {type(err).__name__}: {err}") from err


# ---------------------------------------------------------------- 01: dense_layer

def _linears(module: nn.Module) -> list[nn.Linear]:
    return [m for m in module.modules() if isinstance(m, nn.Linear)]


def probe_dense_layer(dense_layer: Callable) -> str:
    x = torch.randn(5, 4, generator=torch.Generator().manual_seed(0))  # [B=5, in=4]
    for activation, expected_fn in (("relu", torch.relu), (None, lambda t: t), ("tanh", torch.tanh)):
        layer = _first_call(dense_layer, 4, 3, activation)
        if not isinstance(layer, nn.Sequential):
            raise Wrong(
                f"dense_layer(4, 3, {activation!r}) returned {type(layer).__name__}; "
                f"return an nn.Sequential of the linear layer and the activation."
            )
        linears = _linears(layer)
        if len(linears) != 1:
            raise Wrong(f"dense_layer(4, 3, {activation!r}) holds {len(linears)} nn.Linear; expected one.")
        linear = linears[0]
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
        if _close(out, expected_fn(plain)):
            continue
        if activation is None:
            raise Wrong(
                "dense_layer(4, 3, activation=None) applied an activation anyway. With None, the "
                "layer must be linear only: that is what the output layer needs (raw logits)."
            )
        if _close(out, plain):
            raise Wrong(f"dense_layer(4, 3, {activation!r}) applied no activation; add make_activation(...).")
        raise Wrong(
            f"dense_layer(4, 3, {activation!r}) does not compute {activation}(linear(x)); "
            f"use make_activation(activation) after the linear layer."
        )
    return "a linear layer followed by the activation asked for, none when activation=None."


# ---------------------------------------------------------------- 01: FNN

def _reference_with_weights_of(model: nn.Module, **config) -> reference_fnn.FNN:
    """The reference FNN carrying the same Linear weights as the learner's model."""
    reference = reference_fnn.FNN(**config)
    for mine, theirs in zip(_linears(reference), _linears(model)):
        mine.weight.data.copy_(theirs.weight.data)
        mine.bias.data.copy_(theirs.bias.data)
    return reference


def probe_fnn(fnn_class: type) -> str:
    configs = [
        dict(input_size=784, hidden1=256, hidden2=256, output_size=10, activation="relu"),
        dict(input_size=12, hidden1=7, hidden2=5, output_size=3, activation="tanh"),
    ]
    for config in configs:
        model = _first_call(fnn_class, *config.values())
        if not isinstance(model, nn.Module):
            raise Wrong(f"FNN(...) built a {type(model).__name__}; the class must subclass nn.Module.")
        linears = _linears(model)
        shapes = [(m.in_features, m.out_features) for m in linears]
        n_in, h1, h2, n_out = (config[k] for k in ("input_size", "hidden1", "hidden2", "output_size"))
        expected = [(n_in, h1), (h1, h2), (h2, n_out)]
        if len(linears) != 3:
            raise Wrong(
                f"FNN({n_in}, {h1}, {h2}, {n_out}) holds {len(linears)} linear layers {shapes}; two hidden "
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
        if _close(out, logits):
            continue
        if _close(out, torch.softmax(logits, dim=1)) or _close(out.sum(dim=1), torch.ones(6)):
            raise Wrong(
                "forward returns probabilities (a softmax at the end). Return the logits: "
                "CrossEntropyLoss applies log-softmax itself, more exactly than log(softmax(x))."
            )
        if _close(out, torch.log_softmax(logits, dim=1)):
            raise Wrong("forward returns log-probabilities (log_softmax); return the logits.")
        if (out >= 0).all() and _close(out, torch.relu(logits)):
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


# ---------------------------------------------------------------- 01: flatten

def probe_flatten(flatten: Callable) -> str:
    image = torch.rand(1, 28, 28, generator=torch.Generator().manual_seed(2))  # what ToTensor gives
    out = _first_call(flatten, image)
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


# ---------------------------------------------------------------- 03: loss

def probe_loss(choose_loss: Callable) -> str:
    loss_fn = _first_call(choose_loss)
    g = torch.Generator().manual_seed(3)
    logits, y = torch.randn(8, 10, generator=g) * 3, torch.randint(0, 10, (8,), generator=g)
    if not callable(loss_fn):
        raise Wrong(f"choose_loss() returned {type(loss_fn).__name__}; return a loss module, nn.XxxLoss().")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. MSELoss's broadcasting warning: the error says more
            value = loss_fn(logits, y)
    except Exception as err:
        raise Wrong(
            f"your loss raised {type(err).__name__} on logits [8, 10] and class labels [8] (int64): "
            f"{err}. A loss for classes given as indices is needed, not one for regression."
        ) from err
    value = _number(value.detach() if isinstance(value, torch.Tensor) else value, "the loss")
    if abs(value - F.cross_entropy(logits, y).item()) < 1e-5:
        return "CrossEntropyLoss on logits: log-softmax and negative log-likelihood in one step."
    if abs(value - F.nll_loss(logits, y).item()) < 1e-5:
        raise Wrong(
            "NLLLoss expects log-probabilities, but the network outputs logits. Use the loss that "
            "applies log-softmax itself."
        )
    if abs(value - F.cross_entropy(logits, y, reduction="sum").item()) < 1e-4:
        raise Wrong("the loss sums over the batch; keep the default reduction='mean'.")
    raise Wrong("that loss does not compute the cross-entropy of logits and class labels.")


# ---------------------------------------------------------------- 02: the two epochs

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
        if all(_close(p.grad, g) for p, g in zip(params, fresh)):
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
    returned = _number(_first_call(train_epoch, trainer), "train_epoch")
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
    second = _number(_first_call(train_epoch, trainer), "train_epoch")
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
    returned = _number(_first_call(validate_epoch, trainer), "validate_epoch")
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
    second = _number(_first_call(validate_epoch, trainer), "validate_epoch")
    if abs(second - returned) > 1e-6:
        raise Wrong(
            "a second validation of the same model gave another number: start the running totals "
            "at zero inside validate_epoch."
        )
    return "eval mode, no gradients, mean loss per sample over the validation data."


# ---------------------------------------------------------------- the registry

def reference_train_epoch(trainer: NetworkTrainer) -> float:
    """The reference: `NetworkTrainer.train_epoch`'s mean loss per sample."""
    return NetworkTrainer.train_epoch(trainer)[0]


def reference_validate_epoch(trainer: NetworkTrainer) -> float:
    """The reference: `NetworkTrainer.validate_epoch`'s mean loss per sample."""
    return NetworkTrainer.validate_epoch(trainer)[0]


def choose_reference_loss() -> nn.Module:
    """The reference answer to `choose_loss`."""
    return nn.CrossEntropyLoss()


@dataclass
class Exercise:
    probe: Callable[[object], str]  # returns a success message or raises Wrong / NotImplementedError
    reference: object
    reference_name: str
    hint: str


EXERCISES: dict[str, Exercise] = {
    "dense_layer": Exercise(
        probe_dense_layer, reference_fnn.dense_layer, "workshop_lib.fnn.dense_layer",
        "Start a list with nn.Linear(in_features, out_features); if activation is not None, append "
        "make_activation(activation); return nn.Sequential(*layers).",
    ),
    "fnn": Exercise(
        probe_fnn, reference_fnn.FNN, "workshop_lib.fnn.FNN",
        "In __init__: super().__init__(), then self.layers = nn.Sequential(dense_layer(input_size, "
        "hidden1, activation), dense_layer(hidden1, hidden2, activation), dense_layer(hidden2, "
        "output_size, activation=None)). In forward: return self.layers(x).",
    ),
    "flatten": Exercise(
        probe_flatten, torch.flatten, "torch.flatten",
        "An image from ToTensor has shape [1, 28, 28]; image.reshape(-1) (or torch.flatten(image)) "
        "lays its 784 pixels out row after row.",
    ),
    "train_epoch": Exercise(
        probe_train_epoch, reference_train_epoch, "NetworkTrainer.train_epoch",
        "model.train(); totals at 0; for x, y in trainer.train_loader: move x, y to trainer.device, "
        "optimizer.zero_grad(), logits = model(x), loss = loss_fn(logits, y), loss.backward(), "
        "optimizer.step(), total_loss += loss.item() * len(y), samples += len(y). "
        "Return total_loss / samples.",
    ),
    "validate_epoch": Exercise(
        probe_validate_epoch, reference_validate_epoch, "NetworkTrainer.validate_epoch",
        "model.eval(); totals at 0; with torch.no_grad(): for x, y in trainer.val_loader: the loss of "
        "model(x), total_loss += loss.item() * len(y), samples += len(y). No backward, no step.",
    ),
    "loss": Exercise(
        probe_loss, choose_reference_loss, "choice, nn.CrossEntropyLoss()",
        "The network outputs logits and the labels are class indices: one PyTorch loss takes exactly "
        "these and applies log-softmax itself.",
    ),
}


def diagnose(exercise: str, answer) -> Outcome:
    """Run one exercise's check on the learner's `answer`, without printing."""
    if exercise not in EXERCISES:
        raise ValueError(f"Unknown exercise {exercise!r}; known: {sorted(EXERCISES)}.")
    spec = EXERCISES[exercise]
    try:
        message = spec.probe(answer)
    except NotImplementedError:
        return Outcome(exercise, NOT_DONE, "it still raises NotImplementedError.")
    except Wrong as wrong:
        return Outcome(exercise, INCORRECT, str(wrong))
    return Outcome(exercise, CORRECT, message)


def check_exercise(exercise: str, answer):
    """Print the verdict; return the learner's answer when correct, else the reference."""
    outcome = diagnose(exercise, answer)
    print(outcome)
    if outcome.status == CORRECT:
        return answer
    spec = EXERCISES[exercise]
    print(f"The lesson continues with the reference {spec.reference_name}. "
          f"Stuck? Run check.hint({exercise!r}).")
    return spec.reference


def dense_layer(answer):
    """Check `dense_layer(in_features, out_features, activation="relu")`."""
    return check_exercise("dense_layer", answer)


def fnn(answer):
    """Check the FNN class: constructor (layer sizes) and forward (logits)."""
    return check_exercise("fnn", answer)


def flatten(answer):
    """Check the flatten transform: one image [1, 28, 28] -> [784]."""
    return check_exercise("flatten", answer)


def train_epoch(answer):
    """Check `train_epoch(trainer) -> mean training loss per sample`."""
    return check_exercise("train_epoch", answer)


def validate_epoch(answer):
    """Check `validate_epoch(trainer) -> mean validation loss per sample`."""
    return check_exercise("validate_epoch", answer)


def loss(answer):
    """Check `choose_loss() -> the loss module` for logits and class labels."""
    return check_exercise("loss", answer)


def hint(exercise: str) -> None:
    """Print a hint for one exercise."""
    if exercise not in EXERCISES:
        raise ValueError(f"No hint for {exercise!r}; exercises: {', '.join(sorted(EXERCISES))}.")
    print(f"Hint [{exercise}]: {EXERCISES[exercise].hint}")
