import itertools
import warnings

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from workshop_lib import check
from workshop_lib.checks import lesson04, lesson05, lesson06, lesson07
from workshop_lib.checks.engine import CORRECT, INCORRECT, NOT_DONE
from workshop_lib.checks.registry import diagnose
from workshop_lib.preprocessing import naive_resize

BONUS_EXERCISES = {e.name: e for lesson in (lesson04, lesson05, lesson06, lesson07) for e in lesson.EXERCISES}


def not_done(*args, **kwargs):
    # YOUR CODE HERE
    raise NotImplementedError()


# A learner's correct answer, written differently from the reference, for every exercise.
CORRECT_ANSWERS = {
    "sum_correct_preds": lambda logits, y: int(sum(int(a == b) for a, b in zip(logits.argmax(1), y))),
    "mean_std": lambda images: (images.float().mean().item() / 255, (images.float() / 255).std().item()),
    "dense_layer_bn": lambda i, o, a="relu", bn=None: nn.Sequential(
        *[nn.Linear(i, o, bias=bn != "before")] + ([nn.BatchNorm1d(o)] if bn == "before" else [])
        + [nn.ReLU()] + ([nn.BatchNorm1d(o)] if bn == "after" else [])),
    "init_weights": BONUS_EXERCISES["init_weights"].reference,
    "l1": lambda model, strength: strength * torch.cat([p.flatten() for p in model.parameters()]).abs().sum(),
    "grid": lambda **opts: [dict(zip(opts, c, strict=True)) for c in itertools.product(*opts.values())],
    "build_layers": BONUS_EXERCISES["build_layers"].reference,
    "regression_loss": lambda output, y: ((output.squeeze(1) - y.float()) ** 2).mean(),
    "predict_drawing": BONUS_EXERCISES["predict_drawing"].reference,
    "shift_matrices": lambda s: torch.cat([torch.eye(2).expand(len(s), 2, 2), (-s / 14).unsqueeze(2)], 2),
}


def naive_prediction(model, image):
    return int(model(naive_resize(image).unsqueeze(0)).argmax(1))


def broadcasting_mse(output, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return F.mse_loss(output, y.float())


# Typical mistakes and a word the check's message must contain.
MISTAKES = {
    "sum_correct_preds": (lambda logits, y: (logits.argmax(1) == y).float().mean().item(), "COUNT"),
    "mean_std": (lambda images: (images.float().mean().item(), images.float().std().item()), "255"),
    "dense_layer_bn": (lambda i, o, a="relu", bn=None: nn.Sequential(
        nn.Linear(i, o, bias=False), nn.BatchNorm1d(o), nn.ReLU()) if bn else nn.Sequential(
        nn.Linear(i, o), nn.ReLU()), "expected Linear -> ReLU -> BatchNorm1d"),
    "init_weights": (lambda model, w, b: [w(m.weight) for m in model.children() if isinstance(m, nn.Linear)]
                     and model, "nested"),
    "l1": (lambda model, strength: strength * sum(p.pow(2).sum() for p in model.parameters()), "L2"),
    "grid": (lambda **opts: [dict(zip(opts, c, strict=True)) for c in zip(*opts.values())], "product"),
    "build_layers": (lambda i, sizes, o, act="relu": nn.Sequential(*[
        nn.Sequential(nn.Linear(a, b), nn.ReLU()) for a, b in zip([i, *sizes], [*sizes, o], strict=True)]),
        "WITHOUT activation"),
    "regression_loss": (broadcasting_mse, "unsqueeze(1)"),
    "predict_drawing": (naive_prediction, "mnist_style"),
    "shift_matrices": (lambda s: torch.cat([torch.eye(2).expand(len(s), 2, 2), (s / 14).unsqueeze(2)], 2),
                       "wrong way"),
}


def test_every_bonus_exercise_has_a_correct_answer_and_a_mistake_here():
    assert set(CORRECT_ANSWERS) == set(MISTAKES) == set(BONUS_EXERCISES)


@pytest.mark.parametrize("exercise", sorted(BONUS_EXERCISES))
def test_the_reference_and_another_correct_answer_pass(exercise):
    reference = BONUS_EXERCISES[exercise].reference
    assert diagnose(exercise, reference).status == CORRECT
    assert diagnose(exercise, CORRECT_ANSWERS[exercise]).status == CORRECT


@pytest.mark.parametrize("exercise", sorted(BONUS_EXERCISES))
def test_a_typical_mistake_gets_its_specific_message(exercise):
    answer, word = MISTAKES[exercise]
    outcome = diagnose(exercise, answer)
    assert outcome.status == INCORRECT
    assert word in outcome.message


@pytest.mark.parametrize("exercise", sorted(BONUS_EXERCISES))
def test_an_unfinished_exercise_is_not_done_and_the_reference_takes_over(exercise, capsys):
    assert diagnose(exercise, not_done).status == NOT_DONE
    returned = getattr(check, exercise)(not_done)
    out = capsys.readouterr().out
    assert "Not done yet" in out and "continues with the reference" in out
    assert returned is BONUS_EXERCISES[exercise].reference


def test_a_passing_answer_is_returned_as_it_is(capsys):
    mine = CORRECT_ANSWERS["grid"]
    assert check.grid(mine) is mine
    assert "Correct [grid]" in capsys.readouterr().out


def test_hints_work_for_the_bonus_exercises(capsys):
    check.hint("shift_matrices")
    assert "affine_grid" in capsys.readouterr().out
