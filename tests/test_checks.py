"""Each check passes correct solutions (written differently from the reference) and names the
typical mistakes; an unfinished exercise is 'not done' and the lesson goes on with the reference."""

import ast
import inspect
import linecache
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from workshop_lib import check, fnn
from workshop_lib import notebook_generator as generator
from workshop_lib.checks import engine, lesson02, registry
from workshop_lib.checks.engine import CORRECT, INCORRECT, NOT_DONE, Prediction, PredictionError
from workshop_lib.checks.registry import EXERCISES, diagnose
from workshop_lib.fnn import make_activation
from workshop_lib.preprocessing import mnist_style


def not_done(*args):
    raise NotImplementedError()


def assert_incorrect(exercise, answer, *phrases):
    outcome = diagnose(exercise, answer)
    assert outcome.status == INCORRECT, outcome
    for phrase in phrases:
        assert phrase in outcome.message, outcome.message


# ---------------------------------------------------------------- dense_layer

def dense_layer_ok(in_features, out_features, activation="relu"):
    layers = [nn.Linear(in_features, out_features)]
    if activation is not None:
        layers.append(make_activation(activation))
    return nn.Sequential(*layers)


def test_dense_layer_accepts_correct_solutions():
    assert diagnose("dense_layer", dense_layer_ok).status == CORRECT

    def with_ordered_dict(i, o, activation="relu"):
        from collections import OrderedDict
        parts = [("linear", nn.Linear(i, o))] + ([("act", make_activation(activation))] if activation else [])
        return nn.Sequential(OrderedDict(parts))

    assert diagnose("dense_layer", with_ordered_dict).status == CORRECT


def test_dense_layer_names_the_mistakes():
    always_relu = lambda i, o, activation="relu": nn.Sequential(nn.Linear(i, o), nn.ReLU())  # noqa: E731
    assert_incorrect("dense_layer", always_relu, "activation=None", "applied an activation anyway")
    never = lambda i, o, activation="relu": nn.Sequential(nn.Linear(i, o))  # noqa: E731
    assert_incorrect("dense_layer", never, "applied no activation")
    swapped = lambda i, o, activation="relu": nn.Sequential(nn.Linear(o, i))  # noqa: E731
    assert_incorrect("dense_layer", swapped, "nn.Linear(3, 4)", "inputs first")
    bare = lambda i, o, activation="relu": nn.Linear(i, o)  # noqa: E731
    assert_incorrect("dense_layer", bare, "returned Linear", "nn.Sequential")
    wrong_kind = lambda i, o, activation="relu": nn.Sequential(nn.Linear(i, o), nn.Sigmoid())  # noqa: E731
    assert_incorrect("dense_layer", wrong_kind, "does not compute relu")


def test_dense_layer_reports_a_crash_with_its_error():
    def broken(i, o, activation="relu"):
        return nn.Sequential(nn.Linear(i, o), ACTIVATION_TABLE[activation])  # noqa: F821

    assert_incorrect("dense_layer", broken, "NameError")


# ---------------------------------------------------------------- FNN

def make_fnn(output_activation=None, final=None, input_override=None, flat_layers=False):
    """An FNN class written another way than the reference, with an optional planted mistake."""

    class StudentFNN(nn.Module):
        def __init__(self, input_size=784, hidden1=256, hidden2=256, output_size=10, activation="relu"):
            super().__init__()
            self.fc1 = nn.Linear(input_override or input_size, hidden1)
            self.fc2 = nn.Linear(hidden1, hidden2)
            self.fc3 = nn.Linear(hidden2, output_size)
            self.act = make_activation(activation)
            self.flat_layers = flat_layers

        def forward(self, x):
            x = self.act(self.fc2(self.act(self.fc1(x))))
            x = self.fc3(x)
            if output_activation is not None:
                x = output_activation(x)
            return x

    return StudentFNN


def test_fnn_accepts_a_correct_class_with_other_attribute_names():
    assert diagnose("fnn", make_fnn()).status == CORRECT
    assert diagnose("fnn", fnn.FNN).status == CORRECT


def test_fnn_names_the_mistakes():
    assert_incorrect("fnn", make_fnn(lambda x: torch.softmax(x, dim=1)), "probabilities")
    assert_incorrect("fnn", make_fnn(torch.relu), "output layer has a ReLU", "activation=None")
    assert_incorrect("fnn", make_fnn(lambda x: F.log_softmax(x, dim=1)), "log-probabilities")
    assert_incorrect("fnn", make_fnn(input_override=28), "takes 28 inputs", "784")


def test_fnn_counts_the_layers():
    class OneHidden(nn.Module):
        def __init__(self, input_size=784, hidden1=256, hidden2=256, output_size=10, activation="relu"):
            super().__init__()
            self.net = nn.Sequential(nn.Linear(input_size, hidden1), nn.ReLU(),
                                     nn.Linear(hidden1, output_size))

        def forward(self, x):
            return self.net(x)

    assert_incorrect("fnn", OneHidden, "2 linear layers", "3")


def test_fnn_notices_an_ignored_activation_argument():
    class AlwaysRelu(make_fnn()):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.act = nn.ReLU()

    assert_incorrect("fnn", AlwaysRelu, "activation='tanh'")


def test_fnn_not_done_when_a_method_still_raises():
    class ForwardMissing(make_fnn()):
        def forward(self, x):
            raise NotImplementedError()

    assert diagnose("fnn", ForwardMissing).status == NOT_DONE


# ---------------------------------------------------------------- flatten

def test_flatten_accepts_correct_solutions():
    for answer in (lambda im: im.reshape(-1), lambda im: im.view(784), torch.flatten,
                   lambda im: im.squeeze(0).flatten()):
        assert diagnose("flatten", answer).status == CORRECT


def test_flatten_names_the_mistakes():
    assert_incorrect("flatten", lambda im: im.view(im.size(0), -1), "[1, 784]", "vector [784]")
    assert_incorrect("flatten", lambda im: im.transpose(1, 2).reshape(-1), "order")
    assert_incorrect("flatten", lambda im: im.squeeze(0), "[28, 28]")
    assert_incorrect("flatten", lambda im: im.reshape(-1) * 255, "values")
    assert_incorrect("flatten", lambda im: im.numpy().reshape(-1), "torch.Tensor")


# ---------------------------------------------------------------- train_epoch

def make_train_epoch(zero_grad=True, train_mode=True, average="sample", step=True, backward=True,
                     zero_after_backward=False, no_grad=False, loader="train_loader", keep_graph=False):
    """A train_epoch with one planted mistake (the defaults are a correct solution)."""
    totals = {"loss": 0.0, "n": 0}  # only used by average="global"

    def train_epoch(trainer):
        model, loss_fn, optimizer = trainer.model, trainer.loss_fn, trainer.optimizer
        if train_mode:
            model.train()
        total, samples, batches = 0.0, 0, 0
        last = None
        for x, y in getattr(trainer, loader):
            if zero_grad and not zero_after_backward:
                optimizer.zero_grad()
            with torch.set_grad_enabled(not no_grad):
                loss = loss_fn(model(x), y)
            if backward and not no_grad:
                loss.backward()
            if zero_after_backward:
                optimizer.zero_grad()
            if step:
                optimizer.step()
            total = total + (loss * len(y) if keep_graph else loss.item() * len(y))
            samples += len(y)
            batches += 1
            last = loss.item()
            totals["loss"] += loss.item() * len(y)
            totals["n"] += len(y)
        if average == "sample":
            return total / samples
        if average == "batch":
            return sum_of_batch_means(trainer, total, batches)
        if average == "sum":
            return total
        if average == "last":
            return last
        if average == "global":
            return totals["loss"] / totals["n"]
        raise AssertionError(average)

    return train_epoch


def sum_of_batch_means(trainer, _total, batches):
    values = trainer.loss_fn.values[-batches:]
    return sum(v for v, _ in values) / batches


def test_train_epoch_accepts_correct_solutions():
    assert diagnose("train_epoch", make_train_epoch()).status == CORRECT
    assert diagnose("train_epoch", lesson02.train_epoch).status == CORRECT

    def with_model_zero_grad_and_dataset_length(trainer):
        trainer.model.train()
        total = 0.0
        for x, y in trainer.train_loader:
            trainer.model.zero_grad()  # as good as optimizer.zero_grad() here
            loss = trainer.loss_fn(trainer.model(x.to(trainer.device)), y.to(trainer.device))
            loss.backward()
            trainer.optimizer.step()
            total += loss.item() * x.shape[0]
        return torch.tensor(total / len(trainer.train_loader.dataset))  # a 0-dim tensor is fine

    assert diagnose("train_epoch", with_model_zero_grad_and_dataset_length).status == CORRECT


@pytest.mark.parametrize("mistake, phrases", [
    (dict(zero_grad=False), ["zero_grad", "earlier batches"]),
    (dict(zero_after_backward=True), ["zero", "before", "loss.backward()"]),
    (dict(backward=False), ["no gradients", "loss.backward()"]),
    (dict(step=False), ["optimizer.step() was never called"]),
    (dict(train_mode=False), ["eval mode", "model.train()"]),
    (dict(no_grad=True), ["without gradients"]),
    (dict(average="batch"), ["mean of the batch losses", "len(y)"]),
    (dict(average="sum"), ["sum", "number of samples"]),
    (dict(average="last"), ["last batch"]),
    (dict(average="global"), ["second epoch", "inside"]),
    (dict(loader="val_loader"), ["val_loader"]),
    (dict(keep_graph=True), ["graph", "loss.item()"]),
])
def test_train_epoch_names_each_typical_mistake(mistake, phrases):
    assert_incorrect("train_epoch", make_train_epoch(**mistake), *phrases)


# ---------------------------------------------------------------- validate_epoch

def make_validate_epoch(eval_mode=True, no_grad=True, average="sample", loader="val_loader", learn=False):
    """A validate_epoch with one planted mistake (the defaults are a correct solution)."""

    def validate_epoch(trainer):
        model = trainer.model
        if eval_mode:
            model.eval()
        total, samples, values = 0.0, 0, []
        with torch.set_grad_enabled(not no_grad):
            for x, y in getattr(trainer, loader):
                loss = trainer.loss_fn(model(x), y)
                if learn:
                    loss.backward()
                    trainer.optimizer.step()
                total += loss.item() * len(y)
                samples += len(y)
                values.append(loss.item())
        if average == "batch":
            return sum(values) / len(values)
        return total / samples

    return validate_epoch


def test_validate_epoch_accepts_correct_solutions():
    assert diagnose("validate_epoch", make_validate_epoch()).status == CORRECT
    assert diagnose("validate_epoch", lesson02.validate_epoch).status == CORRECT

    @torch.inference_mode()
    def with_inference_mode(trainer):
        trainer.model.eval()
        losses = [(trainer.loss_fn(trainer.model(x), y).item(), len(y)) for x, y in trainer.val_loader]
        return sum(v * n for v, n in losses) / sum(n for _, n in losses)

    assert diagnose("validate_epoch", with_inference_mode).status == CORRECT


@pytest.mark.parametrize("mistake, phrases", [
    (dict(eval_mode=False), ["train mode", "model.eval()"]),
    (dict(no_grad=False), ["gradients enabled", "torch.no_grad()", "memory"]),
    (dict(average="batch"), ["mean of the batch losses"]),
    (dict(loader="train_loader"), ["train_loader", "val_loader"]),
    (dict(no_grad=False, learn=True), ["must not learn"]),
])
def test_validate_epoch_names_each_typical_mistake(mistake, phrases):
    assert_incorrect("validate_epoch", make_validate_epoch(**mistake), *phrases)


# ---------------------------------------------------------------- loss

def test_loss_accepts_cross_entropy_only():
    assert diagnose("loss", lambda: nn.CrossEntropyLoss()).status == CORRECT
    assert diagnose("loss", lambda: F.cross_entropy).status == CORRECT
    assert_incorrect("loss", lambda: nn.NLLLoss(), "NLLLoss expects log-probabilities")
    assert_incorrect("loss", lambda: nn.CrossEntropyLoss(reduction="sum"), "reduction='mean'")
    assert_incorrect("loss", lambda: nn.MSELoss(), "classes given as indices")
    assert_incorrect("loss", lambda: "cross entropy", "loss module")


# ---------------------------------------------------------------- what the learner sees

LESSON_EXERCISES = ["dense_layer", "fnn", "flatten", "loss", "train_epoch", "validate_epoch"]


@pytest.mark.parametrize("exercise", LESSON_EXERCISES)
def test_an_unfinished_exercise_is_not_done_and_the_reference_takes_over(exercise, capsys):
    returned = getattr(check, exercise)(not_done)
    printed = capsys.readouterr().out
    assert "Not done yet" in printed and "NotImplementedError" in printed
    assert f"check.hint({exercise!r})" in printed
    assert returned is EXERCISES[exercise].reference
    assert diagnose(exercise, returned).status == CORRECT  # the lesson goes on with a working reference


def test_a_correct_answer_is_returned_unchanged(capsys):
    assert check.dense_layer(dense_layer_ok) is dense_layer_ok
    assert capsys.readouterr().out.startswith("Correct [dense_layer]")


def test_a_wrong_answer_is_replaced_by_the_reference(capsys):
    returned = check.flatten(lambda im: im.view(1, -1))
    printed = capsys.readouterr().out
    assert returned is torch.flatten
    assert "Not yet right [flatten]" in printed and "reference torch.flatten" in printed


def test_every_exercise_has_a_hint(capsys):
    for exercise in EXERCISES:
        check.hint(exercise)
        assert capsys.readouterr().out.startswith(f"Hint [{exercise}]: ")
    with pytest.raises(ValueError, match="exercises: "):
        check.hint("no_such_exercise")


# ---------------------------------------------------------------- staged hints and solutions

def test_hints_come_in_stages_and_the_last_points_to_the_solution(monkeypatch, capsys):
    monkeypatch.setattr(check, "HINTS", engine.HintStages())
    stages = EXERCISES["fnn"].hints
    printed = []
    for _ in range(len(stages) + 1):
        check.hint("fnn")
        printed.append(capsys.readouterr().out)
    for i, stage in enumerate(stages):
        assert printed[i].startswith(f"Hint [fnn]: {stage}\n"), printed[i]
        assert f"hint {i + 1} of {len(stages)}" in printed[i]
    assert "check.solution('fnn')" in printed[-2] and "check.solution" not in printed[0]
    assert printed[-1] == printed[-2]  # asked again: the last stage again
    assert "class FNN" not in "".join(printed)  # the code itself only on request


@pytest.mark.parametrize("exercise", list(EXERCISES))
def test_every_exercise_has_staged_hints_from_the_idea_to_the_recipe(exercise):
    hints = EXERCISES[exercise].hints
    assert len(hints) >= 3 and len(set(hints)) == len(hints)
    assert "return" not in hints[0] and hints[-1] not in hints[0]


@pytest.mark.parametrize("exercise", list(EXERCISES))
def test_the_solution_is_shown_on_request(exercise, capsys):
    check.solution(exercise)
    out = capsys.readouterr().out
    assert out.startswith(f"Solution [{exercise}]:") and len(out.splitlines()) >= 3


def test_the_solution_is_the_library_source(capsys):
    check.solution("dense_layer")
    out = capsys.readouterr().out
    assert "# workshop_lib.fnn.dense_layer" in out and inspect.getsource(fnn.dense_layer) in out
    check.solution("loss")
    assert "nn.CrossEntropyLoss()" in capsys.readouterr().out


def test_the_name_shown_is_derived_from_the_reference():
    assert EXERCISES["dense_layer"].reference_name == "workshop_lib.fnn.dense_layer"
    assert EXERCISES["mean_std"].reference_name == "workshop_lib.data.mean_std"
    assert EXERCISES["init_weights"].reference_name == "workshop_lib.initialization.initialize"
    assert EXERCISES["predict_drawing"].reference_name == "workshop_lib.widgets.read_digit"
    assert EXERCISES["flatten"].reference_name == "torch.flatten"


# ---------------------------------------------------------------- predictions

CHOICE = Prediction("test_speed", "Which trains faster?", "Fewer parameters.", options=("small", "large"))
NUMBER = Prediction("test_loss", "The loss at initialisation?", "ln 10 = 2.30.", rel_tol=0.1)


@pytest.fixture
def questions(monkeypatch, tmp_path):
    monkeypatch.setenv("WORKSHOP_ANSWERS_DIR", str(tmp_path))
    monkeypatch.setitem(registry.PREDICTIONS, CHOICE.qid, CHOICE)
    monkeypatch.setitem(registry.PREDICTIONS, NUMBER.qid, NUMBER)
    monkeypatch.setattr(check, "PREDICTED", {})


def test_a_right_prediction(questions, capsys):
    check.predict("test_speed", "A")  # the letter, any case
    check.prediction_result("test_speed", "small")
    out = capsys.readouterr().out
    assert "You predicted small; the run gave small: right." in out and "Why: Fewer parameters." in out
    check.predict("test_loss", 2.2)
    check.prediction_result("test_loss", torch.tensor(2.3026))
    assert "You predicted 2.2; the run gave 2.303: right." in capsys.readouterr().out


def test_a_wrong_prediction(questions, capsys):
    check.predict("test_speed", "Large")
    check.prediction_result("test_speed", "small")
    assert "You predicted large; the run gave small: not quite." in capsys.readouterr().out
    check.predict("test_loss", 1)
    check.prediction_result("test_loss", 2.3026)
    out = capsys.readouterr().out
    assert "You predicted 1; the run gave 2.303: not quite." in out and "ln 10" in out


def test_an_invalid_prediction_is_refused_with_the_expected_form(questions, capsys):
    check.predict("test_speed", "medium")
    out = capsys.readouterr().out
    assert "'medium' is not one of the options" in out and "a) small  b) large" in out
    check.predict("test_loss", [2.3])
    assert "is not a number" in capsys.readouterr().out
    check.prediction_result("test_loss", 2.3)
    assert "no prediction recorded" in capsys.readouterr().out
    with pytest.raises(PredictionError, match="not one of the options"):
        check.prediction_result("test_speed", "tiny")  # the lesson's own observed value must be valid
    with pytest.raises(ValueError, match="Unknown prediction"):
        check.predict("no_such_question", 1)


def test_a_prediction_not_made_is_not_done_and_the_lesson_goes_on(questions, capsys):
    check.predict("test_speed", "small")
    check.predict("test_speed", ...)  # the cell run again, not filled in: the old prediction is gone
    check.prediction_result("test_speed", "large")
    out = capsys.readouterr().out
    assert "Not done yet [test_speed]" in out and "The run gave large." in out and "Fewer parameters" in out
    check.predict("test_loss", None)
    assert "Not done yet [test_loss]" in capsys.readouterr().out


def test_a_prediction_survives_a_kernel_restart(questions, monkeypatch, capsys):
    check.predict("test_loss", 2.3)
    monkeypatch.setattr(check, "PREDICTED", {})  # a new session: only the store remembers
    check.prediction_result("test_loss", 2.31)
    assert "You predicted 2.3; the run gave 2.31: right." in capsys.readouterr().out


def test_every_declared_prediction_is_well_formed():
    for qid, spec in registry.PREDICTIONS.items():
        assert qid == spec.qid and spec.question and spec.explanation
        assert spec.is_choice or spec.rel_tol > 0 or spec.abs_tol > 0


# ---------------------------------------------------------------- model answers

def test_reveal_prints_the_model_answer_from_the_solution(capsys):
    solution = nbformat.read(generator.SOLUTIONS / "01_build_fnn.ipynb", as_version=4)
    expected = next(generator.model_answers(c.source)["01_input_size"] for c in solution.cells
                    if "id=01_input_size" in c.source)
    check.reveal("01_input_size")
    out = capsys.readouterr().out
    assert out.startswith("Model answer [01_input_size] (01_build_fnn):") and expected in out
    assert "784" in expected
    with pytest.raises(ValueError, match="No model answer"):
        check.reveal("no_such_question")


# ---------------------------------------------------------------- your code, all the way

def run_cell(namespace: dict, source: str, name: str) -> None:
    """Run `source` as a notebook cell does: compiled from a name that only linecache knows."""
    filename = f"<notebook-cell-{name}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), namespace)


LEARNER_CELLS = {
    "imports": "from collections import OrderedDict\nimport torch\nfrom torch import nn\n"
               "from workshop_lib.fnn import make_activation\nfrom workshop_lib import check\n",
    "dense_layer": '''
def dense_layer(in_features, out_features, activation="relu"):
    parts = [("mine", nn.Linear(in_features, out_features))]
    if activation is not None:
        parts.append(("act", make_activation(activation)))
    return nn.Sequential(OrderedDict(parts))
''',
    "check_dense_layer": "dense_layer = check.dense_layer(dense_layer)",
    "fnn": '''
class FNN(nn.Module):
    def __init__(self, input_size=784, hidden1=256, hidden2=256, output_size=10, activation="relu"):
        super().__init__()
        self.stack = nn.Sequential(dense_layer(input_size, hidden1, activation),
                                   dense_layer(hidden1, hidden2, activation),
                                   dense_layer(hidden2, output_size, activation=None))

    def forward(self, x):
        return self.stack(x)
''',
    "check_fnn": "FNN = check.fnn(FNN)",
}


def learner_notebook() -> dict:
    namespace = {"__name__": "__main__"}
    for name, source in LEARNER_CELLS.items():
        run_cell(namespace, source, name)
    return namespace


def test_mine_without_a_recorded_answer_falls_back_to_the_reference(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WORKSHOP_ANSWERS_DIR", str(tmp_path))
    assert check.mine("fnn") is fnn.FNN
    assert "Using the library's reference workshop_lib.fnn.FNN for 'fnn'" in capsys.readouterr().out


def test_a_passing_answer_is_what_mine_gives_back(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WORKSHOP_ANSWERS_DIR", str(tmp_path))
    learner_notebook()
    assert "Correct [fnn]" in capsys.readouterr().out
    stored = (tmp_path / "fnn.py").read_text()
    assert "class FNN(nn.Module)" in stored and "def dense_layer" in stored  # with the learner's dense_layer
    FNN = check.mine("fnn")
    assert "Using your own 'fnn'" in capsys.readouterr().out
    model = FNN()
    assert FNN is not fnn.FNN and "stack.0.mine.weight" in model.state_dict()  # the learner's own layers
    assert model(torch.zeros(2, 784)).shape == (2, 10)


def test_an_answer_recorded_in_one_process_is_rebuilt_in_another(tmp_path):
    cells = "\n".join(f"cells.append({source!r})" for source in LEARNER_CELLS.values())
    script = (
        "from IPython.testing.globalipapp import start_ipython\n"
        "shell = start_ipython()\ncells = []\n" + cells + "\n"
        "for cell in cells:\n    assert shell.run_cell(cell).success\n"
    )
    env = {**os.environ, "WORKSHOP_ANSWERS_DIR": str(tmp_path)}
    run = lambda code: subprocess.run(  # noqa: E731
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    result = run(script)
    assert result.returncode == 0 and "Correct [fnn]" in result.stdout, result.stdout + result.stderr
    rebuild = ("from workshop_lib import check\nFNN = check.mine('fnn')\n"
               "print(sorted(FNN().state_dict())[0], FNN.__module__)")
    result = run(rebuild)
    assert "Using your own 'fnn'" in result.stdout, result.stdout + result.stderr
    assert "stack.0.mine.bias fnn_workshop_answers.fnn" in result.stdout


def test_a_stored_answer_that_does_not_rebuild_falls_back(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WORKSHOP_ANSWERS_DIR", str(tmp_path))
    broken = "def flatten(image):\n    return image.reshape(-1)\nANSWER = flatten(\n"
    (tmp_path / "flatten.py").write_text(broken)
    assert check.mine("flatten") is torch.flatten
    assert "does not rebuild (SyntaxError" in capsys.readouterr().out
    (tmp_path / "flatten.py").write_text("def flatten(image):\n    return image * 2\nANSWER = flatten\n")
    assert check.mine("flatten") is torch.flatten
    assert "no longer passes its check" in capsys.readouterr().out


def test_the_library_reference_is_never_the_learners_correct_answer(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WORKSHOP_ANSWERS_DIR", str(tmp_path))
    for exercise, spec in EXERCISES.items():
        returned = getattr(check, exercise)(spec.reference)
        out = capsys.readouterr().out
        assert out.startswith(f"Not done yet [{exercise}]: this is the library's reference"), out
        assert "Re-run your exercise cell" in out and returned is spec.reference
    assert not list(tmp_path.iterdir())  # nothing recorded


def test_an_answer_without_source_still_passes_but_is_not_saved(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WORKSHOP_ANSWERS_DIR", str(tmp_path))
    answer = lambda image: image.reshape(-1)  # noqa: E731
    assert check.flatten(answer) is answer
    out = capsys.readouterr().out
    assert "Correct [flatten]" in out and "Not saved for later lessons" in out and "lambda" in out


# ---------------------------------------------------------------- 07: the device of the input

def predict_drawing_on_cpu(model, image):
    model.eval()
    with torch.no_grad():
        return int(model(mnist_style(image).unsqueeze(0)).argmax(dim=1))


def predict_drawing_on_the_models_device(model, image):
    device = next(model.parameters()).device
    model.eval()
    with torch.no_grad():
        return model(mnist_style(image).unsqueeze(0).to(device)).argmax(dim=1).item()


def test_the_device_check_catches_an_input_left_on_the_cpu():
    outcome = diagnose("predict_drawing", predict_drawing_on_cpu)
    assert outcome.status == INCORRECT
    assert "move the input to the model's device" in outcome.message and "meta" in outcome.message


def test_the_device_check_passes_an_input_moved_to_the_models_device():
    assert diagnose("predict_drawing", predict_drawing_on_the_models_device).status == CORRECT


def test_an_answer_whose_saved_form_fails_is_not_saved_and_the_learner_is_told(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WORKSHOP_ANSWERS_DIR", str(tmp_path))
    namespace = {"__name__": "__main__", "check": check, "shape": torch.Size([784])}  # not a literal
    run_cell(namespace, "def flatten(image):\n    return image.reshape(shape)\n", "uses_a_global")
    run_cell(namespace, "flatten = check.flatten(flatten)", "check_it")
    out = capsys.readouterr().out
    assert "Correct [flatten]" in out and "Not saved for later lessons" in out and "shape" in out
    assert not (tmp_path / "flatten.py").exists()
    assert check.mine("flatten") is torch.flatten


# ---------------------------------------------------------------- the shape of the check layer

def test_each_exercise_is_a_named_documented_check_made_from_the_registry():
    for name, spec in EXERCISES.items():
        function = getattr(check, name)
        assert function.__name__ == name and name in dir(check)
        assert function.__doc__.startswith(f"Check {spec.doc}")
    assert {"hint", "solution", "predict", "prediction_result", "reveal", "mine"} <= set(dir(check))


def test_the_checks_import_no_plotting_or_widget_module():
    code = ("import sys\nfrom workshop_lib import check\n"
            "print(sorted(m for m in sys.modules if m in ('matplotlib.pyplot', 'ipywidgets', "
            "'workshop_lib.plots', 'workshop_lib.widgets')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.stdout.strip() == "[]", result.stdout + result.stderr


def test_no_check_module_imports_a_private_name_of_another():
    folder = Path(check.__file__).parent
    for path in [folder / "check.py", *sorted((folder / "checks").glob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                private = [a.name for a in node.names if a.name.startswith("_")]
                assert not private, f"{path.name} imports {private} from {node.module}"


@pytest.mark.parametrize(
    "value, text", [(269322, "269,322"), (269322.0, "269,322"), (2.30734, "2.307"), (0.5, "0.5"), ("b", "b")]
)
def test_a_prediction_is_shown_as_a_learner_writes_it(value, text):
    assert engine.shown(value) == text


def test_the_answer_path_is_shown_from_the_home_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("WORKSHOP_ANSWERS_DIR", str(Path.home() / ".fnn_workshop" / "answers"))
    assert check.answers.shown_path("fnn") == str(Path("~") / ".fnn_workshop" / "answers" / "fnn.py")
    monkeypatch.setenv("WORKSHOP_ANSWERS_DIR", str(tmp_path))
    assert check.answers.shown_path("fnn") == str(tmp_path / "fnn.py")


def test_every_outcome_a_lesson_can_report_is_one_of_its_predictions_options():
    """The strings a solution passes to check.prediction_result must parse, whichever branch a run takes."""
    root = Path(__file__).resolve().parent.parent
    seen = 0
    for path in sorted((root / "solutions").glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type != "code" or "prediction_result" not in cell.source:
                continue
            source = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith("%"))
            for node in ast.walk(ast.parse(source)):
                if not (isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "prediction_result"):
                    continue
                qid, observed = node.args[0].value, node.args[1]
                spec = registry.prediction(qid)
                for outcome in _literal_outcomes(observed):
                    spec.parse(outcome)  # raises PredictionError for a string that is no option
                    seen += 1
    assert seen >= 3, "no literal outcome found: the test would check nothing"


def _literal_outcomes(node) -> list[str]:
    """The string literals an expression can evaluate to (through `a if c else b` chains)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _literal_outcomes(node.body) + _literal_outcomes(node.orelse)
    return []
