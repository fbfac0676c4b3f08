import pytest
import torch
from torch import nn

from workshop_lib.data import TensorBatchLoader
from workshop_lib.fnn import FNN
from workshop_lib.network_trainer import NetworkTrainer
from workshop_lib.regularization import l1_penalty, l2_penalty, linear_weights, sparsity


def train(tiny_data, optimizer_kwargs=None, regularization=None, epochs=3):
    x, y = tiny_data
    torch.manual_seed(0)
    model = FNN(784, 16, 16, 10)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2, **(optimizer_kwargs or {}))
    loader = TensorBatchLoader(x, y, batch_size=5)
    NetworkTrainer(model, nn.CrossEntropyLoss(), optimizer, loader, loader, "cpu",
                   regularization=regularization, progress=False).train(epochs)
    return model


def test_l2_penalty_trains_exactly_like_adams_weight_decay(tiny_data):
    decayed = train(tiny_data, {"weight_decay": 0.1})
    penalised = train(tiny_data, regularization=l2_penalty(0.1))
    plain = train(tiny_data)
    for a, b in zip(decayed.parameters(), penalised.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-6)
    assert not torch.allclose(linear_weights(plain), linear_weights(decayed))


def test_penalty_values_match_their_formulas():
    model = FNN(784, 4, 4, 10)
    params = list(model.parameters())
    weights = [m.weight for m in model.modules() if isinstance(m, nn.Linear)]
    l2 = 0.3 / 2 * sum((p ** 2).sum() for p in params)
    l1_weights = 0.3 * sum(p.abs().sum() for p in weights)
    torch.testing.assert_close(l2_penalty(0.3)(model), l2)
    torch.testing.assert_close(l1_penalty(0.3, weights_only=True)(model), l1_weights)


def test_l1_drives_more_weights_to_near_zero_than_l2(tiny_data):
    l1 = train(tiny_data, regularization=l1_penalty(1e-2), epochs=30)
    l2 = train(tiny_data, regularization=l2_penalty(1e-2), epochs=30)
    assert sparsity(l1)["near_zero"] > 2 * sparsity(l2)["near_zero"]


def test_sparsity_counts_small_and_zero_weights():
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[0.0, 1e-4], [0.5, -2.0]]))
        model[1].weight.copy_(torch.tensor([[-5e-4, 0.0]]))
    assert sparsity(model) == pytest.approx({
        "weights": 6, "near_zero": 4, "near_zero_percent": 400 / 6, "exactly_zero": 2,
        "mean_abs": (1e-4 + 0.5 + 2.0 + 5e-4) / 6,
    })


def test_negative_strength_is_refused():
    with pytest.raises(ValueError, match="zero or positive"):
        l1_penalty(-1e-3)
