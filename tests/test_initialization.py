import pytest
import torch
from torch import nn

from workshop_lib.fnn import FNN
from workshop_lib.initialization import activation_statistics, initialize, initializer
from workshop_lib.layers import DeepFNN


def linears(model):
    return [m for m in model.modules() if isinstance(m, nn.Linear)]


@pytest.mark.parametrize("scheme, reference", [
    ("xavier_uniform", nn.init.xavier_uniform_),
    ("xavier_normal", nn.init.xavier_normal_),
    ("kaiming_normal", lambda t: nn.init.kaiming_normal_(t, nonlinearity="relu")),
    ("normal(0.5)", lambda t: nn.init.normal_(t, 0.0, 0.5)),
    ("uniform(0.1)", lambda t: nn.init.uniform_(t, -0.1, 0.1)),
])
def test_schemes_give_exactly_what_torch_nn_init_gives_with_the_same_seed(scheme, reference):
    model, expected = FNN(784, 32, 16, 10), FNN(784, 32, 16, 10)
    torch.manual_seed(1)
    initialize(model, scheme, biases="zeros")
    torch.manual_seed(1)
    for linear in linears(expected):
        reference(linear.weight.data)
    for got, want in zip(linears(model), linears(expected), strict=True):
        torch.testing.assert_close(got.weight, want.weight)
        assert torch.count_nonzero(got.bias) == 0


def test_normal_std_is_the_given_one():
    model = initialize(DeepFNN([512]), "normal(0.5)", "normal(0.5)")
    weights = linears(model)[0].weight
    assert weights.std().item() == pytest.approx(0.5, rel=0.02)
    assert weights.mean().item() == pytest.approx(0.0, abs=0.01)


def test_a_function_can_be_the_scheme():
    model = initialize(FNN(784, 8, 8, 10), nn.init.orthogonal_, lambda b: nn.init.constant_(b, 0.25))
    w = linears(model)[1].weight  # [8, 8]
    torch.testing.assert_close(w @ w.T, torch.eye(8), atol=1e-5, rtol=0)
    assert all(torch.all(lin.bias == 0.25) for lin in linears(model))


def test_zeros_make_every_hidden_neuron_identical_so_they_stay_identical():
    torch.manual_seed(0)
    model = initialize(DeepFNN([16, 16]), "zeros", "zeros")
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    x, y = torch.rand(32, 784), torch.randint(0, 10, (32,))
    for _ in range(5):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
    first = linears(model)[0].weight
    assert torch.count_nonzero(first) == 0  # ReLU(0) has gradient 0: the first layer never moves
    hidden = linears(model)[1].weight
    assert torch.equal(hidden, hidden[0].expand_as(hidden))  # symmetry is never broken


def test_batch_norm_is_left_alone():
    model = initialize(FNN(784, 8, 8, 10, batch_norm="before"), "zeros")
    norms = [m for m in model.modules() if isinstance(m, nn.BatchNorm1d)]
    assert all(torch.all(n.weight == 1) for n in norms)


@pytest.mark.parametrize("bad", ["kaiming", "normal()", "normal(abc)", "gauss(1)", 3])
def test_unknown_scheme_lists_the_known_ones(bad):
    with pytest.raises(ValueError, match=r"xavier_uniform.*normal\(x\)"):
        initializer(bad)


def test_model_without_linear_layers_is_refused():
    with pytest.raises(ValueError, match="no nn.Linear"):
        initialize(nn.ReLU())


def test_activation_statistics_show_a_vanishing_signal_with_tiny_weights():
    torch.manual_seed(0)
    x = torch.rand(64, 784)
    tiny = activation_statistics(initialize(DeepFNN([64] * 4), "normal(0.001)"), x)
    good = activation_statistics(initialize(DeepFNN([64] * 4), "kaiming_normal"), x)
    assert [r["layer"] for r in good] == [1, 2, 3, 4, 5]
    assert tiny[-1]["std"] < 1e-8 < good[-1]["std"] * 1e-3
