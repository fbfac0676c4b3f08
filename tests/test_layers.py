import pytest
import torch
from torch import nn

from workshop_lib.architectures import build_from_config
from workshop_lib.fnn import FNN
from workshop_lib.layers import DeepFNN, Layer, LayerFactory, count_parameters
from workshop_lib.network_user import NetworkUser


def copy_weights(source: nn.Module, target: nn.Module) -> None:
    """Copy parameters in order: the two models must have the same shapes in the same order."""
    target.load_state_dict(dict(zip(target.state_dict(), source.state_dict().values(), strict=True)))


def test_three_hidden_layers_equal_a_hand_built_sequential():
    torch.manual_seed(0)
    model = DeepFNN([Layer(64), Layer(32, "tanh"), Layer(16, "sigmoid")])
    reference = nn.Sequential(
        nn.Linear(784, 64), nn.ReLU(),
        nn.Linear(64, 32), nn.Tanh(),
        nn.Linear(32, 16), nn.Sigmoid(),
        nn.Linear(16, 10),
    )
    copy_weights(model, reference)
    assert count_parameters(model) == count_parameters(reference) == sum(
        i * o + o for i, o in [(784, 64), (64, 32), (32, 16), (16, 10)]
    )
    x = torch.rand(5, 784)
    torch.testing.assert_close(model(x), reference(x))


def test_no_hidden_layer_is_a_linear_classifier():
    model = DeepFNN([])
    assert count_parameters(model) == 784 * 10 + 10
    assert model(torch.rand(2, 784)).shape == (2, 10)


def test_two_layers_of_256_are_the_workshop_fnn_with_the_same_parameter_names():
    torch.manual_seed(0)
    fnn = FNN()
    deep = DeepFNN([256, 256])
    deep.load_state_dict(fnn.state_dict())  # raises if any name or shape differs
    x = torch.rand(3, 784)
    torch.testing.assert_close(deep(x), fnn(x))


def test_batch_norm_before_is_applied_to_every_hidden_layer_and_drops_their_bias():
    model = DeepFNN([32, 32, 32], batch_norm="before")
    norms = [m for m in model.modules() if isinstance(m, nn.BatchNorm1d)]
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    assert len(norms) == 3
    assert [lin.bias is None for lin in linears] == [True, True, True, False]


def test_factory_defaults_apply_to_plain_sizes_but_not_to_layer_objects():
    factory = LayerFactory(activation="gelu")
    assert factory.layers([8, Layer(4, "tanh")]) == [Layer(8, "gelu"), Layer(4, "tanh")]


def test_save_and_load_round_trip_rebuilds_the_deep_network(tmp_path):
    torch.manual_seed(0)
    model = DeepFNN([Layer(40, "elu", "before"), 20, 30], activation="leaky_relu")
    model.eval()
    NetworkUser(model).save(tmp_path / "deep.pt")
    loaded = NetworkUser.load(tmp_path / "deep.pt").model
    assert isinstance(loaded, DeepFNN)
    assert loaded.config == model.config
    x = torch.rand(4, 784)
    torch.testing.assert_close(loaded(x), model(x))
    assert str(build_from_config(model.config)) == str(model)


@pytest.mark.parametrize("spec", [0, -3, 2.5, "256", True])
def test_bad_layer_descriptions_are_refused_with_an_example(spec):
    with pytest.raises((ValueError, TypeError), match="(positive number of neurons|e.g. 256)"):
        DeepFNN([spec])


def test_unflattened_input_is_refused():
    with pytest.raises(ValueError, match="Flatten"):
        DeepFNN([8])(torch.rand(2, 1, 28, 28))


def test_count_parameters_counts_trainable_numbers_only():
    model = DeepFNN([4])
    assert count_parameters(model) == 784 * 4 + 4 + 4 * 10 + 10
    model.layers[0][0].weight.requires_grad_(False)  # frozen: no longer trained
    assert count_parameters(model) == 4 + 4 * 10 + 10
