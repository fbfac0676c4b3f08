"""Each check passes correct solutions (written differently from the reference) and names the
typical mistakes; an unfinished exercise is 'not done' and the lesson goes on with the reference."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from workshop_lib import check, fnn
from workshop_lib.checks import lesson02
from workshop_lib.checks.engine import CORRECT, INCORRECT, NOT_DONE
from workshop_lib.checks.registry import EXERCISES, diagnose
from workshop_lib.fnn import make_activation


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
