"""Every exercise and prediction of the lessons, listed here explicitly, lesson by lesson."""

from __future__ import annotations

from . import engine, lesson01, lesson02, lesson03, lesson04, lesson05, lesson06, lesson07

LESSONS = (lesson01, lesson02, lesson03, lesson04, lesson05, lesson06, lesson07)


def _unique(items, key: str) -> dict:
    table = {}
    for item in items:
        name = getattr(item, key)
        if name in table:
            raise ValueError(f"{name!r} is defined twice in the lessons' checks; names must be unique.")
        table[name] = item
    return table


EXERCISES: dict[str, engine.Exercise] = _unique((e for m in LESSONS for e in m.EXERCISES), "name")
PREDICTIONS: dict[str, engine.Prediction] = _unique((p for m in LESSONS for p in m.PREDICTIONS), "qid")


def exercise(name: str) -> engine.Exercise:
    """The exercise called `name`, or a clear error listing the known ones."""
    if name not in EXERCISES:
        raise ValueError(f"Unknown exercise {name!r}; exercises: {', '.join(EXERCISES)}.")
    return EXERCISES[name]


def prediction(qid: str) -> engine.Prediction:
    """The prediction question `qid`, or a clear error listing the known ones."""
    if qid not in PREDICTIONS:
        raise ValueError(f"Unknown prediction {qid!r}; predictions: {', '.join(PREDICTIONS) or 'none yet'}.")
    return PREDICTIONS[qid]


def diagnose(name: str, answer) -> engine.Outcome:
    """Run the check of exercise `name` on `answer`, without printing."""
    return engine.diagnose(exercise(name), answer)
