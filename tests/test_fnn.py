import pytest
import torch
from torch import nn

from workshop_lib.architectures import build_from_config
from workshop_lib.fnn import FNN, dense_layer


def test_dense_layer_without_activation_is_a_plain_linear_layer():
    layer = dense_layer(784, 10, activation=None)
    assert [type(m) for m in layer] == [nn.Linear]


def test_dense_layer_matches_pytorch_built_by_hand():
    torch.manual_seed(0)
    layer = dense_layer(5, 3, "relu")
    reference = nn.Sequential(nn.Linear(5, 3), nn.ReLU())
    reference.load_state_dict(layer.state_dict())
    x = torch.randn(4, 5)
    torch.testing.assert_close(layer(x), reference(x))


def test_batch_norm_before_the_activation_drops_the_linear_bias():
    plain = dense_layer(784, 256, "relu")
    before = dense_layer(784, 256, "relu", batch_norm="before")
    after = dense_layer(784, 256, "relu", batch_norm="after")
    assert [type(m) for m in before] == [nn.Linear, nn.BatchNorm1d, nn.ReLU]
    assert [type(m) for m in after] == [nn.Linear, nn.ReLU, nn.BatchNorm1d]
    assert before[0].bias is None and after[0].bias is not None
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert count(plain) == 784 * 256 + 256
    assert count(before) == 784 * 256 + 2 * 256  # bias gone, BN's weight and bias added
    assert count(after) == 784 * 256 + 256 + 2 * 256


def test_fnn_equals_a_hand_built_pytorch_network():
    torch.manual_seed(0)
    model = FNN(784, 256, 128, 10)
    reference = nn.Sequential(
        nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10)
    )
    reference.load_state_dict(dict(zip(reference.state_dict(), model.state_dict().values(), strict=False)))
    assert sum(p.numel() for p in model.parameters()) == 784 * 256 + 256 + 256 * 128 + 128 + 1290
    x = torch.rand(8, 784)
    out = model(x)
    assert out.shape == (8, 10)
    torch.testing.assert_close(out, reference(x))
    assert out.min() < 0  # logits, not probabilities


@pytest.mark.parametrize("shape", [(4, 28, 28), (4, 1, 28, 28)])
def test_unflattened_batch_says_to_flatten(shape):
    with pytest.raises(ValueError, match=r"flattened images of shape \[B, 784\].*Flatten"):
        FNN()(torch.rand(shape))


def test_single_image_vector_says_to_add_a_batch_dimension():
    with pytest.raises(ValueError, match="unsqueeze"):
        FNN()(torch.rand(784))


def test_unknown_activation_lists_the_known_ones():
    with pytest.raises(ValueError, match="relu"):
        dense_layer(3, 3, "relux")


def test_config_rebuilds_the_same_architecture():
    model = FNN(hidden1=64, hidden2=32, activation="tanh", batch_norm="before")
    rebuilt = build_from_config(model.config)
    assert str(rebuilt) == str(model)
