import math

import pytest
import torch
from torch import nn

from workshop_lib.data import TensorBatchLoader
from workshop_lib.fnn import FNN
from workshop_lib.network_trainer import NetworkTrainer, TrainingDivergedError, sum_correct_preds


def make_trainer(x, y, model=None, lr=0.0, batch_size=4, **kwargs):
    model = model or FNN(784, 16, 16, 10)
    loader = TensorBatchLoader(x, y, batch_size)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    return NetworkTrainer(model, nn.CrossEntropyLoss(), optimizer, loader, loader, "cpu",
                          progress=False, **kwargs)


def test_epoch_loss_is_the_mean_per_sample_not_per_batch(tiny_data):
    torch.manual_seed(0)
    x, y = tiny_data  # 10 samples in batches of 4, 4, 2
    trainer = make_trainer(x, y, lr=0.0, sum_correct_preds=sum_correct_preds)
    history = trainer.train(1)
    with torch.no_grad():
        logits = trainer.model(x)
        expected = nn.functional.cross_entropy(logits, y, reduction="sum").item() / 10
        per_batch = sum(nn.functional.cross_entropy(logits[i:i + 4], y[i:i + 4]).item()
                        for i in (0, 4, 8)) / 3
        expected_acc = 100 * (logits.argmax(1) == y).float().mean().item()
    assert abs(expected - per_batch) > 1e-4  # the tiny data tells the two averages apart
    assert history.train_loss[0] == pytest.approx(expected, rel=1e-6)
    assert history.val_loss[0] == pytest.approx(expected, rel=1e-6)
    assert history.train_accuracy[0] == pytest.approx(expected_acc)


def test_loss_decreases(tiny_data):
    torch.manual_seed(0)
    x, y = tiny_data
    history = make_trainer(x, y, lr=0.1).train(5)
    assert history.epochs == 5
    assert history.train_loss[-1] < history.train_loss[0] * 0.8
    assert history.train_accuracy == []  # no sum_correct_preds, no accuracy


class Spy(nn.Module):
    """Records the mode and grad state of every forward pass."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(784, 10), nn.Dropout(0.5))
        self.calls = []

    def forward(self, x):
        self.calls.append((self.training, torch.is_grad_enabled()))
        return self.net(x)


def test_validation_runs_in_eval_mode_without_gradients_then_back_to_train(tiny_data):
    x, y = tiny_data
    spy = Spy()
    trainer = make_trainer(x, y, model=spy)
    trainer.train_epoch()
    assert spy.calls == [(True, True)] * 3
    spy.calls.clear()
    trainer.validate_epoch()
    assert spy.calls == [(False, False)] * 3
    assert spy.training


def test_regularization_is_added_to_the_training_loss(tiny_data):
    x, y = tiny_data
    torch.manual_seed(0)
    plain = make_trainer(x, y, lr=0.1)
    torch.manual_seed(0)
    l2 = make_trainer(x, y, lr=0.1, regularization=lambda m: 1.0 * sum(
        (p ** 2).sum() for p in m.parameters()))
    plain.train(2)
    l2.train(2)
    norm = lambda t: sum((p ** 2).sum().item() for p in t.model.parameters())  # noqa: E731
    assert norm(l2) < 0.8 * norm(plain)


def test_nan_loss_stops_training_and_names_the_learning_rate(tiny_data):
    x, y = tiny_data
    trainer = make_trainer(x * 1e6, y, lr=1e6)
    with pytest.raises(TrainingDivergedError, match=r"learning rate \(1e\+06\) is most likely too high"):
        trainer.train(20)


class InterruptingLoader:
    """Yields the data, but raises KeyboardInterrupt in the given epoch (like Ctrl-C)."""

    def __init__(self, loader, interrupt_in_epoch):
        self.loader, self.epoch, self.interrupt_in_epoch = loader, 0, interrupt_in_epoch

    def __len__(self):
        return len(self.loader)

    def __iter__(self):
        self.epoch += 1
        if self.epoch == self.interrupt_in_epoch:
            raise KeyboardInterrupt
        yield from self.loader


def test_ctrl_c_keeps_model_and_history_so_far(tiny_data, capsys):
    x, y = tiny_data
    trainer = make_trainer(x, y, lr=0.1)
    trainer.train_loader = InterruptingLoader(trainer.train_loader, interrupt_in_epoch=3)
    before = [p.clone() for p in trainer.model.parameters()]
    history = trainer.train(10)
    assert history.interrupted and history.epochs == 2
    assert "interrupted after 2 complete epoch(s)" in capsys.readouterr().out
    assert any(not torch.equal(a, b) for a, b in zip(before, trainer.model.parameters(), strict=False))


def test_callbacks_see_every_epoch(tiny_data):
    x, y = tiny_data
    seen = []
    make_trainer(x, y, callbacks=[lambda t, h: seen.append(h.epochs)]).train(3)
    assert seen == [1, 2, 3]


class Lookup(nn.Module):
    """Logits 10 for the class written in pixel 0, 0 elsewhere: predictions known by hand."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(()))

    def forward(self, x):
        return 10.0 * self.scale * nn.functional.one_hot(x[:, 0].long(), 10).float()  # [B, 10]


def lookup_data():
    """10 samples in batches of 4, 4, 2: 4, 2 and 0 correct, so 60 % overall, 0 % in the last batch."""
    predicted = torch.tensor([1, 2, 3, 4, 5, 6, 7, 8, 9, 0])
    labels = torch.tensor([1, 2, 3, 4, 5, 6, 0, 0, 0, 1])
    x = torch.zeros(10, 784)
    x[:, 0] = predicted.float()
    return x, labels


# Cross-entropy of logits (10 on one class, 0 on the nine others), by hand.
LOSS_RIGHT = -math.log(math.exp(10) / (math.exp(10) + 9))
LOSS_WRONG = -math.log(1 / (math.exp(10) + 9))
LOOKUP_LOSS = (6 * LOSS_RIGHT + 4 * LOSS_WRONG) / 10


def test_losses_and_accuracies_of_a_known_model_match_a_hand_count():
    x, y = lookup_data()
    history = make_trainer(x, y, model=Lookup(), sum_correct_preds=sum_correct_preds).train(1)
    assert history.train_accuracy == [pytest.approx(60.0)]
    assert history.val_accuracy == [pytest.approx(60.0)]  # every batch counts, not the last one
    assert history.train_loss == [pytest.approx(LOOKUP_LOSS, rel=1e-6)]
    assert history.val_loss == [pytest.approx(LOOKUP_LOSS, rel=1e-6)]


def test_the_reported_training_loss_leaves_the_penalty_out():
    x, y = lookup_data()
    penalty = lambda m: 5.0 * m.scale ** 2  # noqa: E731  (5.0 at scale 1; lr=0 keeps it there)
    history = make_trainer(x, y, model=Lookup(), regularization=penalty).train(1)
    assert history.train_loss == [pytest.approx(LOOKUP_LOSS, rel=1e-6)]


def test_the_penalty_reaches_the_gradient():
    x, y = lookup_data()
    model = Lookup()
    trainer = make_trainer(x, y, model=model, lr=0.01, regularization=lambda m: 5.0 * m.scale ** 2)
    trainer.train_loader = [(x[:1], y[:1])]  # one sample, predicted right
    trainer.train_epoch()
    # d/ds of CE(10 s on the true class) is -10 * 9 e^-10s / (1 + 9 e^-10s); of 5 s^2 it is 10 s
    ce_grad = -10 * 9 * math.exp(-10) / (1 + 9 * math.exp(-10))
    assert model.scale.item() == pytest.approx(1 - 0.01 * (ce_grad + 10.0), rel=1e-6)


def test_a_second_train_call_continues_the_history():
    x, y = lookup_data()
    trainer = make_trainer(x, y, model=Lookup(), sum_correct_preds=sum_correct_preds)
    first = trainer.train(2)
    losses = list(first.train_loss)
    second = trainer.train(1)
    assert second is first and second.epochs == 3
    assert second.train_loss[:2] == losses and len(second.val_accuracy) == 3


def test_ctrl_c_during_validation_leaves_the_model_in_train_mode(tiny_data, capsys):
    x, y = tiny_data
    model = Spy()
    trainer = make_trainer(x, y, model=model)
    trainer.val_loader = InterruptingLoader(trainer.val_loader, interrupt_in_epoch=2)
    history = trainer.train(5)
    assert history.interrupted and history.epochs == 1
    assert model.training and all(m.training for m in model.modules())
    assert "interrupted after 1 complete epoch(s)" in capsys.readouterr().out



class Parcel:
    """A batch that only `.to(device)` unwraps: a loop that forgets to move it fails."""

    def __init__(self, tensor, moves):
        self.tensor, self.moves = tensor, moves

    def to(self, device):
        self.moves.append(torch.device(device))
        return self.tensor

    def __len__(self):
        return len(self.tensor)


def test_every_batch_is_moved_to_the_trainer_device(tiny_data):
    x, y = tiny_data
    moves = []
    parcels = [(Parcel(x[i:i + 4], moves), Parcel(y[i:i + 4], moves)) for i in (0, 4, 8)]
    trainer = make_trainer(x, y)
    trainer.train_loader = trainer.val_loader = parcels
    trainer.train(1)
    assert moves == [torch.device("cpu")] * 12  # x and y of 3 batches, training and validation


def test_the_device_defaults_to_the_model_device(tiny_data):
    x, y = tiny_data
    assert make_trainer(x, y).device == torch.device("cpu")
    model = FNN(784, 8, 8, 10).to("meta")
    trainer = NetworkTrainer(model, nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.1),
                             [], [], progress=False)
    assert trainer.device == torch.device("meta")


def test_each_step_uses_only_its_own_batch_gradient():
    x, y = lookup_data()
    model = Lookup()
    trainer = make_trainer(x, y, model=model, lr=0.01)
    trainer.train_loader = [(x[:1], y[:1]), (x[:1], y[:1])]  # the same right prediction twice
    trainer.train_epoch()

    def grad(s):  # d/ds of the cross-entropy when the true class gets logit 10 s, the others 0
        return -10 * 9 * math.exp(-10 * s) / (1 + 9 * math.exp(-10 * s))

    s1 = 1 - 0.01 * grad(1.0)
    assert model.scale.item() == pytest.approx(s1 - 0.01 * grad(s1), rel=1e-6)  # not grad(1) + grad(s1)
