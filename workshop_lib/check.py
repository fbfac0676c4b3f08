"""The checks a learner runs in the lessons: `from workshop_lib import check`.

    dense_layer = check.dense_layer(dense_layer)   # the verdict; your answer back when correct
    check.hint("dense_layer")                      # staged: the idea first, more on each call
    check.solution("dense_layer")                  # the full code, on request only
    check.predict("01_parameters", 269322)         # before an experiment
    check.prediction_result("01_parameters", n)    # after it: right or not quite, and why
    check.reveal("01_input_size")                  # the model answer of a written question
    FNN = check.mine("fnn")                        # your FNN from lesson 01, or the library's

A correct answer is saved (see `checks.answers`) so that later lessons train with your own code.
Every exercise below is a function named after it, made from `checks.registry`.
"""

from __future__ import annotations

from .checks import answers, engine, registry
from .checks.model_answers import MODEL_ANSWERS

HINTS = engine.HintStages()
PREDICTED: dict = {}  # question id -> canonical prediction, this session (the store keeps them too)


def check_exercise(name: str, answer):
    """Print the verdict; return (and save) the learner's answer when correct, else the reference."""
    exercise = registry.exercise(name)
    outcome = engine.verdict(exercise, answer)
    print(outcome)
    if outcome.status == engine.CORRECT:
        _save(exercise, answer)
        return answer
    print(f"The lesson continues with the reference {exercise.reference_name}. "
          f"Stuck? Run check.hint({name!r}).")
    return exercise.reference


def _save(exercise: engine.Exercise, answer) -> None:
    """Save a correct answer for later lessons, once its saved form is known to rebuild and pass."""
    try:
        answers.record(exercise.name, answer)
        rebuilt = engine.diagnose(exercise, answers.rebuild(exercise.name))
        if rebuilt.status != engine.CORRECT:
            raise answers.NotRecordable(f"saved on its own, it fails its check ({rebuilt.message})")
    except Exception as why:  # the lesson goes on whatever happens here
        answers.forget(exercise.name)
        print(f"(Not saved for later lessons: {why}. Define what it uses inside it, or import it in the "
              f"same cell; until then later lessons use the library's reference.)")


def _exercise_check(exercise: engine.Exercise):
    def check(answer):
        return check_exercise(exercise.name, answer)

    check.__name__ = check.__qualname__ = exercise.name
    check.__module__ = __name__
    check.__doc__ = (f"Check {exercise.doc}\n\nPrints the verdict. Returns your answer when it is correct "
                     f"(and saves it for later lessons), else the library's reference.")
    return check


for _exercise in registry.EXERCISES.values():
    globals()[_exercise.name] = _exercise_check(_exercise)
del _exercise


def hint(exercise: str) -> None:
    """Print the next hint for an exercise: the idea first, one stage more on each call."""
    print(HINTS.next_hint(registry.exercise(exercise)))


def solution(exercise: str) -> None:
    """Print the full reference code of an exercise."""
    print(f"Solution [{exercise}]:\n\n{registry.exercise(exercise).solution_text()}")


def mine(exercise: str):
    """Your answer to `exercise` if one passed its check (in any lesson), else the library's reference."""
    chosen = registry.exercise(exercise)
    fallback = f"the library's reference {chosen.reference_name}"
    try:
        answer = answers.rebuild(exercise)
    except FileNotFoundError:
        print(f"Using {fallback} for {exercise!r}: no answer of yours has passed check.{exercise} yet.")
        return chosen.reference
    except Exception as err:
        print(f"Using {fallback} for {exercise!r}: your saved answer ({answers.answer_path(exercise)}) "
              f"does not rebuild ({type(err).__name__}: {err}). Run its check again to save it afresh.")
        return chosen.reference
    outcome = engine.diagnose(chosen, answer)
    if outcome.status != engine.CORRECT:
        print(f"Using {fallback} for {exercise!r}: your saved answer ({answers.answer_path(exercise)}) "
              f"no longer passes its check: {outcome.message}")
        return chosen.reference
    print(f"Using your own {exercise!r}, saved when it passed its check ({answers.answer_path(exercise)}).")
    return answer


def predict(qid: str, answer) -> None:
    """Record your prediction before the experiment: a choice (letter or word) or a number."""
    spec = registry.prediction(qid)
    print(f"Prediction [{qid}]: {spec.question}")
    PREDICTED.pop(qid, None)  # a new run of the cell replaces any earlier prediction
    _store_prediction(qid, None)
    if answer is ... or answer is None:
        form = f" ({spec.form()})" if spec.is_choice else ""
        print(f"Not done yet [{qid}]: put your prediction{form} in place of ... and run this cell "
              f"again. The lesson goes on.")
        return
    try:
        value = spec.parse(answer)
    except engine.PredictionError as err:
        print(f"Not a prediction yet [{qid}]: {err} Change it and run this cell again.")
        return
    PREDICTED[qid] = value
    _store_prediction(qid, value)
    print(f"Recorded: {engine.shown(value)}. Now run the experiment.")


def _store_prediction(qid: str, value) -> None:
    try:
        answers.save_prediction(qid, value)
    except OSError:
        pass  # kept for this session only


def prediction_result(qid: str, observed) -> None:
    """After the experiment: your prediction against what the run gave (`observed`), and why."""
    spec = registry.prediction(qid)
    predicted = PREDICTED.get(qid, answers.load_predictions().get(qid))
    print(engine.prediction_report(spec, predicted, observed))


def reveal(qid: str) -> None:
    """Print the model answer of a written question (write your own first)."""
    for lesson, texts in MODEL_ANSWERS.items():
        if qid in texts:
            _show_markdown(f"Model answer [{qid}] ({lesson}):\n\n{texts[qid]}")
            return
    known = ", ".join(q for texts in MODEL_ANSWERS.values() for q in texts)
    raise ValueError(f"No model answer {qid!r}; known: {known}.")


def _show_markdown(text: str) -> None:
    """Rendered (bold, maths) in a notebook; plain text elsewhere."""
    try:
        from IPython import get_ipython
        from IPython.display import Markdown, display
    except ImportError:
        get_ipython = None
    if get_ipython is not None and getattr(get_ipython(), "kernel", None) is not None:
        display(Markdown(text))
    else:
        print(text)


__all__ = [*registry.EXERCISES, "hint", "mine", "predict", "prediction_result", "reveal", "solution"]


def __dir__() -> list[str]:
    return sorted(__all__)
