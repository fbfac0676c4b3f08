"""The check engine: exercises and their verdicts, staged hints, solutions, predictions, model answers.

Every check tests BEHAVIOUR against the reference (shapes, parameter counts, numbers on fixed
inputs, spies that record what the code did), never the source text, so any correct solution
passes. A probe returns a success message, raises `Wrong` with what is wrong, or lets
`NotImplementedError` through (the exercise is not done).
"""

from __future__ import annotations

import importlib
import inspect
import math
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

CORRECT, INCORRECT, NOT_DONE = "correct", "incorrect", "not done"
LABELS = {CORRECT: "Correct", INCORRECT: "Not yet right", NOT_DONE: "Not done yet"}


class Wrong(Exception):
    """The learner's code runs but does something other than the exercise asks."""


@dataclass
class Outcome:
    """One check's verdict: `status` is CORRECT, INCORRECT or NOT_DONE."""

    exercise: str
    status: str
    message: str

    def __str__(self) -> str:
        return f"{LABELS[self.status]} [{self.exercise}]: {self.message}"


# ---------------------------------------------------------------- what probes share

def close(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Same shape and the same numbers up to float rounding."""
    return a.shape == b.shape and torch.allclose(a, b, rtol=1e-4, atol=1e-5)


def number(value, what: str) -> float:
    """A learner's returned number (Python, NumPy or a one-element tensor) as a float, or `Wrong`."""
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
    if isinstance(value, (int, float, np.number)) and not isinstance(value, (bool, np.bool_)):
        return float(value)
    raise Wrong(f"{what} returned {value!r} ({type(value).__name__}); return one number.")


def first_call(fn: Callable, *args, **kwargs):
    """Call the learner's function; NotImplementedError passes through as 'not done'."""
    try:
        return fn(*args, **kwargs)
    except (NotImplementedError, Wrong):
        raise
    except Exception as err:
        raise Wrong(f"calling it raised {type(err).__name__}: {err}") from err


def linears(module: nn.Module) -> list[nn.Linear]:
    """Every `nn.Linear` inside `module`, nested or not, in module order."""
    return [m for m in module.modules() if isinstance(m, nn.Linear)]


def generator(seed: int) -> torch.Generator:
    """A seeded CPU generator, so every probe sees the same inputs."""
    return torch.Generator().manual_seed(seed)


# ---------------------------------------------------------------- exercises

def qualified_name(obj) -> str:
    """`module.qualname` of a function or class, or of an instance's class."""
    target = obj if hasattr(obj, "__qualname__") else type(obj)
    name = target.__name__ if inspect.isbuiltin(target) else target.__qualname__  # torch.flatten
    return f"{target.__module__}.{name}"


@dataclass
class Exercise:
    """One exercise: its check (the probe), its reference, its staged hints and its solution.

    `reference` is the library's object with the exercise's signature, or `"module:name"` to import it
    on first use (to keep heavy modules out of the checks). `hints` go from the idea to the recipe;
    `solution` is what `check.solution` shows: by default the reference's source code.
    """

    name: str
    doc: str  # one line: what the learner writes (becomes the check's docstring)
    probe: Callable[[object], str]
    reference_spec: object
    hints: tuple[str, ...]
    solution: object = None  # an object whose source to show, or the answer as text
    _resolved: object = field(default=None, init=False, repr=False)

    def __post_init__(self):
        if not self.hints:
            raise ValueError(f"exercise {self.name!r} needs at least one hint.")

    @property
    def reference(self):
        """The library's answer (imported on first use when given as `"module:name"`)."""
        if self._resolved is None:
            spec = self.reference_spec
            if isinstance(spec, str):
                module, _, attribute = spec.partition(":")
                spec = getattr(importlib.import_module(module), attribute)
            self._resolved = spec
        return self._resolved

    @property
    def reference_name(self) -> str:
        return qualified_name(self.reference)

    def solution_text(self) -> str:
        """The full answer: the given text, or the source code of the solution object."""
        shown = self.reference if self.solution is None else self.solution
        if isinstance(shown, str):
            return shown
        target = shown if inspect.isfunction(shown) or inspect.isclass(shown) else type(shown)
        return f"# {qualified_name(target)}\n{textwrap.dedent(inspect.getsource(target))}"


def diagnose(exercise: Exercise, answer) -> Outcome:
    """Run one exercise's probe on `answer`, without printing."""
    try:
        message = exercise.probe(answer)
    except NotImplementedError:
        return Outcome(exercise.name, NOT_DONE, "it still raises NotImplementedError.")
    except Wrong as wrong:
        return Outcome(exercise.name, INCORRECT, str(wrong))
    return Outcome(exercise.name, CORRECT, message)


def verdict(exercise: Exercise, answer) -> Outcome:
    """`diagnose`, except that the library's own reference is never the learner's answer."""
    if answer is exercise.reference:
        return Outcome(exercise.name, NOT_DONE, (
            f"this is the library's reference {exercise.reference_name}, not your code (an earlier check "
            f"put it under this name). Re-run your exercise cell first, then this check."
        ))
    return diagnose(exercise, answer)


# ---------------------------------------------------------------- staged hints

@dataclass
class HintStages:
    """How many hints of each exercise were shown in this session."""

    shown: dict[str, int] = field(default_factory=dict)

    def next_hint(self, exercise: Exercise) -> str:
        """The next stage's text, formatted; the last stage stays the last and points to the solution."""
        stage = min(self.shown.get(exercise.name, 0), len(exercise.hints) - 1)
        self.shown[exercise.name] = stage + 1
        total = len(exercise.hints)
        text = f"Hint [{exercise.name}]: {exercise.hints[stage]}"
        if stage + 1 < total:
            return f"{text}\n(hint {stage + 1} of {total}; run check.hint({exercise.name!r}) again for more)"
        return (f"{text}\n(hint {total} of {total}. Still stuck? check.solution({exercise.name!r}) "
                f"shows the full code.)")


# ---------------------------------------------------------------- predictions

class PredictionError(ValueError):
    """A prediction (or an observed value) that is not of the question's form."""


@dataclass(frozen=True)
class Prediction:
    """A question the learner answers before an experiment and the run answers after it.

    A choice lists `options` (answered by letter or word, any case); a number gives `rel_tol` and/or
    `abs_tol`, how close to the observed value still counts as right.
    """

    qid: str
    question: str
    explanation: str
    options: tuple[str, ...] = ()
    rel_tol: float = 0.0
    abs_tol: float = 0.0

    def __post_init__(self):
        if not self.options and self.rel_tol <= 0 and self.abs_tol <= 0:
            raise ValueError(f"prediction {self.qid!r}: give options (a choice) or a tolerance (a number).")

    @property
    def is_choice(self) -> bool:
        return bool(self.options)

    def letters(self) -> str:
        return "  ".join(f"{chr(ord('a') + i)}) {option}" for i, option in enumerate(self.options))

    def form(self) -> str:
        return f"one of {self.letters()} (the letter or the word)" if self.is_choice else "a number"

    def parse(self, answer) -> str | float:
        """The canonical form of an answer: the option's word, or a float; `PredictionError` if neither."""
        if self.is_choice:
            if isinstance(answer, str):
                given = answer.strip().lower()
                for i, option in enumerate(self.options):
                    if given in (option.lower(), chr(ord("a") + i)):
                        return option
            raise PredictionError(f"{answer!r} is not one of the options: {self.form()}.")
        if isinstance(answer, str):
            try:
                return float(answer)
            except ValueError:
                pass
        elif isinstance(answer, torch.Tensor) and answer.numel() == 1:
            return float(answer)
        elif isinstance(answer, (int, float, np.number)) and not isinstance(answer, (bool, np.bool_)):
            return float(answer)
        raise PredictionError(f"{answer!r} ({type(answer).__name__}) is not a number; answer with a number.")

    def is_right(self, predicted: str | float, observed: str | float) -> bool:
        if self.is_choice:
            return predicted == observed
        return math.isclose(predicted, observed, rel_tol=self.rel_tol, abs_tol=self.abs_tol)


def shown(value: str | float) -> str:
    return value if isinstance(value, str) else f"{value:.4g}"


def prediction_report(spec: Prediction, predicted: str | float | None, observed) -> str:
    """What `check.prediction_result` prints: the predicted and observed answers, right or not, why."""
    observed = spec.parse(observed)
    if predicted is None:
        head = (f"Not done yet [{spec.qid}]: no prediction recorded (run check.predict({spec.qid!r}, ...) "
                f"before the experiment). The run gave {shown(observed)}.")
    else:
        word = "right" if spec.is_right(predicted, observed) else "not quite"
        head = f"You predicted {shown(predicted)}; the run gave {shown(observed)}: {word}."
    return f"{head}\nWhy: {spec.explanation}"
