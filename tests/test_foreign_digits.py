import numpy as np
import pytest
import torch
from torch import nn

from workshop_lib import foreign_digits
from workshop_lib.preprocessing import mnist_style, naive_resize


def test_the_set_is_a_few_hundred_labelled_pictures_of_every_kind_and_digit():
    digits = foreign_digits.load()
    assert digits.images.dtype == np.uint8 and digits.images.shape == (len(digits), 64, 64)
    assert len(digits.labels) == len(digits.kinds) == len(digits) >= 1000
    kinds = foreign_digits.kind_names()
    assert len(kinds) >= 5
    for kind in kinds:
        labels = digits.labels[digits.kinds == kind]
        assert len(labels) >= 100 and set(labels.tolist()) == set(range(10)), kind
    assert np.median(digits.images[:, 0, :]) > 200  # dark on light: the pages are white
    assert foreign_digits.FILE.stat().st_size < 2_000_000


class Oracle(nn.Module):
    """Answers the true label for the first `right` pictures and label + 1 for the rest."""

    def __init__(self, labels: np.ndarray, right: np.ndarray):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1))
        self.answers = torch.from_numpy(np.where(right, labels, (labels + 1) % 10))
        self.seen = 0

    def forward(self, x):
        assert x.device == self.weight.device  # the input was moved to the model's device
        answers = self.answers[self.seen : self.seen + len(x)]
        self.seen += len(x)
        return nn.functional.one_hot(answers, 10).float()


def test_accuracy_by_kind_counts_right_answers_per_kind_as_by_hand():
    digits = foreign_digits.load()
    right = np.random.default_rng(0).random(len(digits)) < 0.7  # [N] which ones the model gets right
    x = torch.zeros(len(digits), 784)  # the images themselves do not matter to the oracle
    model = Oracle(digits.labels, right).train()
    table = foreign_digits.accuracy_by_kind(model, x=x)
    assert list(table.index) == foreign_digits.kind_names() + ["all"]
    for kind in foreign_digits.kind_names():
        mine = right[digits.kinds == kind]
        assert table.loc[kind, "pictures"] == len(mine) and table.loc[kind, "correct"] == mine.sum()
        assert table.loc[kind, "accuracy"] == pytest.approx(100 * mine.mean())
    assert table.loc["all", "accuracy"] == pytest.approx(100 * right.mean())
    assert model.training  # the model's mode is given back


def test_accuracy_by_kind_moves_the_input_to_the_model_device():
    # On PyTorch's meta device a CPU input fails in the forward pass ("not on the expected device");
    # moved to meta, the forward pass runs and only reading the answers back fails.
    model = nn.Sequential(nn.Linear(784, 10)).to("meta")
    with pytest.raises(NotImplementedError, match="meta tensor"):
        foreign_digits.accuracy_by_kind(model, x=torch.zeros(len(foreign_digits.load()), 784))


def test_prepared_pictures_match_the_preparation_one_by_one_and_normalize():
    digits = foreign_digits.load()
    x = foreign_digits.prepared(naive_resize)
    assert x.shape == (len(digits), 784)
    torch.testing.assert_close(x[7], naive_resize(digits.images[7]))
    normalized = foreign_digits.prepared(mnist_style, normalize=True)
    from workshop_lib.data import mnist_mean_std

    mean, std = mnist_mean_std()
    torch.testing.assert_close(normalized[3], (mnist_style(digits.images[3]) - mean) / std)
