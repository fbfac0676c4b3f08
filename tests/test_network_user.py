import math
import os
import pickle

import pytest
import torch

from workshop_lib.data import TensorBatchLoader
from workshop_lib.fnn import FNN
from workshop_lib.network_user import (
    CheckpointError,
    NetworkUser,
    confusion_matrix,
    eval_outputs,
    loader_outputs,
)


def test_save_load_round_trip_is_exact(tmp_path):
    torch.manual_seed(0)
    model = FNN(hidden1=32, hidden2=16, batch_norm="before")
    model.train()(torch.rand(8, 784))  # move BatchNorm's running statistics off their defaults
    path = NetworkUser(model).save(tmp_path / "model.pt")
    loaded = NetworkUser.load(path).model
    assert loaded.config == model.config
    for (name, a), (_, b) in zip(model.state_dict().items(), loaded.state_dict().items(), strict=False):
        assert torch.equal(a, b), name
    x = torch.rand(5, 784)
    torch.testing.assert_close(model.eval()(x), loaded(x), rtol=0, atol=0)


def test_a_failed_save_leaves_the_old_checkpoint_intact(tmp_path, monkeypatch):
    path = tmp_path / "model.pt"
    NetworkUser(FNN(hidden1=8, hidden2=8)).save(path)
    before = path.read_bytes()

    def crash(obj, f):
        f.write(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", crash)
    with pytest.raises(OSError, match="disk full"):
        NetworkUser(FNN(hidden1=16, hidden2=16)).save(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.pt"]


class RunsCode:
    def __reduce__(self):
        return (os.system, ("touch pwned",))


def test_a_pickle_that_would_run_code_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.pt"
    with open(path, "wb") as f:
        pickle.dump({"format": "fnn-workshop-checkpoint/1", "config": None, "x": RunsCode()}, f)
    with pytest.raises(CheckpointError, match="Refused to load"):
        NetworkUser.load(path)
    assert not (tmp_path / "pwned").exists()


def test_another_architecture_is_reported_layer_by_layer(tmp_path):
    path = NetworkUser(FNN(hidden1=128, hidden2=64)).save(tmp_path / "small.pt")
    user = NetworkUser(FNN())
    with pytest.raises(CheckpointError) as err:
        user.load_parameters(path)
    message = str(err.value)
    assert "layers.0.0.weight: checkpoint has shape [128, 784], this model has [256, 784]" in message
    assert "NetworkUser.load(path)" in message


def test_truncated_checkpoint_is_reported(tmp_path):
    path = NetworkUser(FNN(hidden1=8, hidden2=8)).save(tmp_path / "m.pt")
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(CheckpointError, match="damaged or truncated"):
        NetworkUser.load(path)


def test_predict_gives_labels_and_probabilities():
    torch.manual_seed(0)
    user = NetworkUser(FNN(hidden1=8, hidden2=8))
    labels, probs = user.predict(torch.rand(6, 784))
    assert labels.shape == (6,) and probs.shape == (6, 10)
    torch.testing.assert_close(probs.sum(1), torch.ones(6))
    assert torch.equal(labels, probs.argmax(1))


def test_confusion_matrix_against_a_hand_count():
    y_true = torch.tensor([0, 0, 1, 2, 2, 2])
    y_pred = torch.tensor([0, 1, 1, 2, 0, 2])
    expected = torch.tensor([[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    assert torch.equal(confusion_matrix(y_true, y_pred, 3), expected)


def test_evaluate_reports_loss_accuracy_and_confusion():
    torch.manual_seed(0)
    user = NetworkUser(FNN(hidden1=8, hidden2=8))
    x, y = torch.rand(20, 784), torch.randint(0, 10, (20,))
    result = user.evaluate(TensorBatchLoader(x, y, 6))
    logits = user.model(x).detach()
    assert result.samples == 20
    assert result.loss == pytest.approx(torch.nn.functional.cross_entropy(logits, y).item(), rel=1e-5)
    assert result.accuracy == pytest.approx(100 * (logits.argmax(1) == y).float().mean().item())
    assert result.confusion.sum() == 20
    assert result.confusion.trace().item() == (logits.argmax(1) == y).sum().item()


def dropout_batchnorm_model():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(784, 16), torch.nn.BatchNorm1d(16), torch.nn.ReLU(),
                               torch.nn.Dropout(0.5), torch.nn.Linear(16, 10))


def test_predict_runs_in_eval_mode_whatever_mode_the_model_was_in():
    model = dropout_batchnorm_model().train()
    stats = model[1].running_mean.clone()
    x = torch.rand(6, 784)
    labels, probs = NetworkUser(model).predict(x)
    assert torch.equal(model[1].running_mean, stats)  # BatchNorm's statistics untouched
    expected = torch.softmax(model.eval()(x), dim=1).detach()  # dropout off, running statistics
    torch.testing.assert_close(probs, expected, rtol=0, atol=1e-7)
    assert torch.equal(labels, expected.argmax(dim=1))


def test_evaluate_runs_in_eval_mode_whatever_mode_the_model_was_in():
    model = dropout_batchnorm_model().train()
    stats = model[1].running_mean.clone()
    x, y = torch.rand(20, 784), torch.randint(0, 10, (20,))
    result = NetworkUser(model).evaluate(TensorBatchLoader(x, y, 6))
    assert torch.equal(model[1].running_mean, stats)
    logits = model.eval()(x).detach()
    assert result.loss == pytest.approx(torch.nn.functional.cross_entropy(logits, y).item(), rel=1e-5)
    expected = confusion_matrix(y, logits.argmax(dim=1), 10)
    assert torch.equal(result.confusion, expected)


def test_predict_gives_the_softmax_of_known_logits():
    model = torch.nn.Linear(784, 3)
    with torch.no_grad():
        model.weight.zero_()
        model.bias.copy_(torch.tensor([0.0, 1.0, 2.0]))
    labels, probs = NetworkUser(model).predict(torch.rand(2, 784))
    e = [1.0, math.e, math.e ** 2]
    assert probs[0].tolist() == pytest.approx([v / sum(e) for v in e])
    assert labels.tolist() == [2, 2]


def test_the_confusion_matrix_is_rows_true_columns_predicted():
    y_true, y_pred = torch.tensor([3, 3, 1]), torch.tensor([1, 1, 3])
    matrix = confusion_matrix(y_true, y_pred, 4)
    assert matrix[3, 1] == 2 and matrix[1, 3] == 1 and matrix.sum() == 3


def test_eval_outputs_are_eval_mode_outputs_without_gradients_and_the_mode_is_restored():
    model = dropout_batchnorm_model().train()
    stats = model[1].running_mean.clone()
    x = torch.rand(6, 784)
    outputs = eval_outputs(model, x)
    assert model.training and all(m.training for m in model.modules())
    assert not outputs.requires_grad and torch.equal(model[1].running_mean, stats)
    torch.testing.assert_close(outputs, model.eval()(x).detach(), rtol=0, atol=0)
    model.eval()
    eval_outputs(model, x)
    assert not model.training


def test_eval_outputs_move_the_batch_to_the_model():
    model = torch.nn.Linear(784, 10).to("meta")  # fed a CPU tensor, it would raise a device error
    assert eval_outputs(model, torch.rand(3, 784)).device == torch.device("meta")
    labels, probs = NetworkUser(model).predict(torch.rand(3, 784))
    assert probs.shape == (3, 10) and probs.device == torch.device("meta")


def test_loader_outputs_cover_every_batch_in_order():
    model = torch.nn.Linear(784, 10)
    x, y = torch.rand(10, 784), torch.arange(10)
    batches = list(loader_outputs(model, TensorBatchLoader(x, y, 4)))
    assert [b[1].tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    torch.testing.assert_close(torch.cat([b[2] for b in batches]), model(x).detach())


class Parcel:
    """A batch that only `.to(device)` unwraps: code that forgets to move it fails."""

    def __init__(self, tensor):
        self.tensor = tensor

    def to(self, device):
        return self.tensor

    def __len__(self):
        return len(self.tensor)


def test_evaluate_moves_every_batch_to_the_model_device():
    torch.manual_seed(0)
    user = NetworkUser(torch.nn.Linear(784, 10))
    x, y = torch.rand(10, 784), torch.randint(0, 10, (10,))
    result = user.evaluate([(Parcel(x[:6]), Parcel(y[:6])), (Parcel(x[6:]), Parcel(y[6:]))])
    assert result.samples == 10
    assert result.loss == pytest.approx(torch.nn.functional.cross_entropy(user.model(x), y).item(), rel=1e-5)
