"""workshop_lib.inspection against hand computations."""

import pytest
import torch
from torch import nn

from workshop_lib.fnn import FNN
from workshop_lib.inspection import (
    GradientNorms,
    dead_relu_fraction,
    dead_units,
    first_layer_images,
    plot_gradient_norms,
    show_first_layer,
)


def test_first_layer_images_put_each_weight_on_its_pixel():
    torch.manual_seed(0)
    model = FNN(784, 16, 8, 10)
    weight = model.layers[0][0].weight  # [16, 784]
    images = first_layer_images(model)
    assert images.shape == (16, 28, 28)
    # pixel (row 3, column 5) of a flattened image is input 3 * 28 + 5
    assert images[7, 3, 5].item() == weight[7, 3 * 28 + 5].item()
    assert images[0, 27, 27].item() == weight[0, 783].item()


def test_first_layer_images_refuses_a_layer_of_another_size():
    with pytest.raises(ValueError, match="takes 100 inputs"):
        first_layer_images(nn.Sequential(nn.Linear(100, 4)))
    with pytest.raises(ValueError, match="no nn.Linear"):
        first_layer_images(nn.Sequential(nn.ReLU()))


def test_show_first_layer_draws_one_panel_per_unit():
    fig = show_first_layer(FNN(784, 12, 8, 10), count=12, ncols=4)
    assert sum(ax.images != [] for ax in fig.axes) == 12


def test_dead_relu_fraction_matches_a_hand_built_layer():
    # inputs are in [0, 1]: unit 0 gets x0 + x1 (alive), unit 1 gets -x0 - 1 (always < 0: dead),
    # unit 2 gets x1 - 5 (always < 0: dead), unit 3 gets x0 - 0.5 (alive for x0 > 0.5)
    linear = nn.Linear(2, 4)
    with torch.no_grad():
        linear.weight.copy_(torch.tensor([[1.0, 1.0], [-1.0, 0.0], [0.0, 1.0], [1.0, 0.0]]))
        linear.bias.copy_(torch.tensor([0.0, -1.0, -5.0, -0.5]))
    model = nn.Sequential(linear, nn.ReLU(), nn.Linear(4, 3), nn.ReLU())
    with torch.no_grad():  # second layer: unit 0 always dead (bias -100), units 1, 2 alive
        model[2].weight.fill_(1.0)
        model[2].bias.copy_(torch.tensor([-100.0, 0.0, 0.0]))
    x = torch.rand(50, 2)
    x[0] = torch.tensor([0.9, 0.2])  # makes unit 3 active at least once
    batches = [(x[:20], None), (x[20:], None)]
    fractions = dead_relu_fraction(model, batches)
    assert fractions == {"1": pytest.approx(2 / 4), "3": pytest.approx(1 / 3)}
    units = dead_units(model, batches)
    assert {name: indices.tolist() for name, indices in units.items()} == {"1": [1, 2], "3": [0]}
    assert model.training  # the mode is restored


def test_a_unit_active_in_only_one_batch_is_not_dead():
    model = nn.Sequential(nn.Linear(1, 1), nn.ReLU())
    with torch.no_grad():
        model[0].weight.fill_(1.0)
        model[0].bias.fill_(0.0)
    batches = [(-torch.ones(4, 1), None), (torch.tensor([[-1.0], [2.0]]), None)]
    assert dead_relu_fraction(model, batches) == {"1": 0.0}
    assert dead_relu_fraction(model, batches[:1]) == {"1": 1.0}


def test_dead_relu_fraction_needs_relu_modules():
    with pytest.raises(ValueError, match="no nn.ReLU"):
        dead_relu_fraction(nn.Sequential(nn.Linear(2, 2)), [(torch.zeros(1, 2), None)])


def test_gradient_norms_record_each_backward_and_stop_after_remove():
    torch.manual_seed(0)
    model = FNN(6, 5, 4, 3)
    recorder = GradientNorms(model)
    assert recorder.names == ["layers.0.0", "layers.1.0", "layers.2.0"]
    x, y = torch.randn(8, 6), torch.randint(0, 3, (8,))
    expected = []
    for _ in range(2):
        model.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        expected.append([layer[0].weight.grad.norm().item() for layer in model.layers])
        with torch.no_grad():
            for p in model.parameters():
                p -= 0.1 * p.grad
    recorder(None, None)  # the trainer's end-of-epoch call
    recorded = recorder.norms()
    for step in range(2):
        for k, name in enumerate(recorder.names):
            assert recorded[name][step] == pytest.approx(expected[step][k], rel=1e-6)
    assert recorder.epoch_ends == [2]

    recorder.remove()
    nn.functional.cross_entropy(model(x), y).backward()
    assert recorder.steps == 2
    assert plot_gradient_norms(recorder, smooth=1).axes[0].get_yscale() == "log"


def test_gradient_norms_as_context_manager_and_trainer_callback():
    from workshop_lib.data import TensorBatchLoader
    from workshop_lib.network_trainer import NetworkTrainer

    torch.manual_seed(0)
    model = FNN(4, 3, 3, 2)
    x, y = torch.randn(10, 4), torch.randint(0, 2, (10,))
    loader = TensorBatchLoader(x, y, batch_size=4, shuffle=False)
    with GradientNorms(model) as recorder:
        trainer = NetworkTrainer(model, nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.1),
                                 loader, loader, callbacks=[recorder], progress=False)
        trainer.train(2)
    assert recorder.epoch_ends == [3, 6]  # 10 samples in batches of 4: 3 steps per epoch
    assert all(len(values) == 6 for values in recorder.norms().values())
    nn.functional.cross_entropy(model(x), y).backward()  # hooks are off after the with block
    assert recorder.steps == 6
