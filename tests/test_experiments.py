import pytest
import torch
from torch import nn

from workshop_lib.data import DataLoaderFNN, FastDataLoaderFNN
from workshop_lib.experiments import (
    DEFAULTS,
    build_model,
    grid,
    run_grid,
    runs_table,
    settings_of,
    train_setting,
)
from workshop_lib.layers import count_parameters
from workshop_lib.plots import plot_grid, plot_runs
from workshop_lib.widgets import Playground


@pytest.fixture(scope="module")
def tiny(mnist_root):
    return FastDataLoaderFNN(batch_size=32, subset_size=300, seed=0)


def test_grid_is_every_combination_with_defaults_filled_in():
    settings = grid(neurons=[32, 64], activation=["relu", "tanh", "gelu"])
    assert len(settings) == 6
    assert {(s["neurons"], s["activation"]) for s in settings} == {
        (n, a) for n in (32, 64) for a in ("relu", "tanh", "gelu")
    }
    assert all(s["hidden_layers"] == DEFAULTS["hidden_layers"] for s in settings)


@pytest.mark.parametrize("bad, match", [
    ({"neurons": 64}, "list of values"),
    ({"neuron": [64]}, "Unknown hyperparameter"),
    ({"activation": ["relux"]}, "Unknown activation"),
])
def test_bad_grids_are_refused(bad, match):
    with pytest.raises((TypeError, ValueError), match=match):
        grid(**bad)


def test_a_setting_builds_the_network_it_describes():
    model = build_model({"neurons": 32, "hidden_layers": 3, "activation": "tanh"})
    assert count_parameters(model) == 784 * 32 + 32 + 2 * (32 * 32 + 32) + 32 * 10 + 10
    assert sum(isinstance(m, torch.nn.Tanh) for m in model.modules()) == 3


def test_same_setting_same_seed_same_run_whatever_ran_before(tiny):
    first = train_setting({"neurons": 16}, tiny, epochs=2, seed=0)
    train_setting({"neurons": 64, "activation": "tanh"}, tiny, epochs=1, seed=0)
    again = train_setting({"neurons": 16}, tiny, epochs=2, seed=0)
    assert first.history.val_loss == again.history.val_loss


def test_both_loaders_say_where_their_batches_live_and_restart_their_shuffling(mnist_root):
    def first_labels(data):
        return next(iter(data.train_loader))[1]

    for data in (FastDataLoaderFNN(batch_size=16, subset_size=200, seed=0),
                 DataLoaderFNN(batch_size=16, subset_size=200, seed=0)):
        assert data.device == torch.device("cpu")
        fresh = first_labels(data)
        assert not torch.equal(first_labels(data), fresh)  # a new epoch, a new order
        data.reseed(0)
        assert torch.equal(first_labels(data), fresh)
    assert FastDataLoaderFNN(batch_size=16, subset_size=200, device="meta").device == torch.device("meta")


def test_a_run_trains_on_the_device_the_data_lives_on(tiny):
    run = train_setting({"neurons": 16}, tiny, epochs=1, seed=0)
    assert {p.device for p in run.model.parameters()} == {tiny.device}


def test_grid_results_land_in_one_table_best_first(tiny):
    runs = run_grid(grid(neurons=[16, 32], hidden_layers=[1, 2]), tiny, epochs=1, verbose=False)
    table = runs_table(runs)
    assert len(table) == 4
    assert list(table["val_accuracy"]) == sorted(table["val_accuracy"], reverse=True)
    assert set(table["parameters"]) == {count_parameters(r.model) for r in runs}
    assert len(plot_runs(runs).axes[1].lines) == 4
    assert len(plot_grid(table, x="neurons", hue="hidden_layers").axes[0].lines) == 2


def test_playground_click_trains_the_shown_setting_and_adds_a_run(tiny):
    playground = Playground(tiny, epochs=1)
    playground.neurons.value = 32
    playground.hidden_layers.value = 3
    playground.activation.value = "tanh"
    playground.train_button.click()  # what a click in the browser does
    assert len(playground.runs) == 1
    run = playground.runs[0]
    assert run.settings == {"neurons": 32, "hidden_layers": 3, "activation": "tanh",
                            "learning_rate": pytest.approx(1e-3)}
    assert run.history.epochs == 1 and count_parameters(run.model) == count_parameters(
        build_model(run.settings))
    assert "1 runs" in playground.status.value and not playground.train_button.disabled
    playground.epochs.value = 2
    playground.on_train(None)
    assert [r.history.epochs for r in playground.runs] == [1, 2]
    playground.clear_button.click()
    assert playground.runs == []


def test_a_setting_can_be_built_by_another_function_from_its_complete_settings(tiny):
    built = []

    def build(settings):
        built.append(settings)
        width = settings["neurons"]
        return nn.Sequential(nn.Linear(784, width), nn.ReLU(), nn.Linear(width, 10))

    run = train_setting({"neurons": 8}, tiny, epochs=1, seed=0, build=build)
    assert built == [settings_of(neurons=8)]
    assert isinstance(run.model, nn.Sequential) and run.model[0].out_features == 8
    assert run.history.epochs == 1
