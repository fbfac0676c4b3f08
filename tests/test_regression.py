import pytest
import torch
from torch import nn

from workshop_lib.data import TensorBatchLoader
from workshop_lib.layers import DeepFNN
from workshop_lib.network_trainer import NetworkTrainer
from workshop_lib.regression import (
    DigitRegressionLoss,
    cross_entropy_of_a_mistake,
    per_digit_table,
    regression_correct_preds,
    regression_outputs,
    rounded_digits,
    squared_error_table,
)


def test_loss_is_mse_against_the_digit_value_per_image():
    output = torch.tensor([[4.6], [0.0], [9.5]])
    y = torch.tensor([4, 1, 9])
    expected = ((4.6 - 4) ** 2 + (0 - 1) ** 2 + (9.5 - 9) ** 2) / 3
    assert DigitRegressionLoss()(output, y).item() == pytest.approx(expected)
    # the pitfall the wrapper avoids: [B, 1] against [B] broadcasts to [B, B], a different number
    with pytest.warns(UserWarning, match="broadcasting"):
        assert nn.functional.mse_loss(output, y.float()).item() != pytest.approx(expected)


def test_loss_refuses_ten_outputs_and_says_to_use_one():
    with pytest.raises(ValueError, match="output_size=1"):
        DigitRegressionLoss()(torch.zeros(3, 10), torch.tensor([1, 2, 3]))


def test_rounding_turns_outputs_into_classes():
    output = torch.tensor([[4.6], [4.4], [-0.7], [12.0], [2.5]])
    assert rounded_digits(output).tolist() == [5, 4, 0, 9, 2]  # 2.5 rounds to even, as torch does
    assert regression_correct_preds(output, torch.tensor([4, 4, 0, 9, 3])) == 3


def test_a_regression_network_learns_through_the_trainer():
    torch.manual_seed(0)
    x = torch.rand(64, 784)
    y = (x[:, :10].sum(1) / 10 * 9).round().long().clamp(0, 9)  # a learnable digit-like target
    loader = TensorBatchLoader(x, y, 16)
    model = DeepFNN([32], output_size=1)
    optimizer = torch.optim.Adam(model.parameters(), 1e-2)
    trainer = NetworkTrainer(model, DigitRegressionLoss(), optimizer, loader, loader, "cpu",
                             sum_correct_preds=regression_correct_preds, progress=False)
    history = trainer.train(15)
    assert history.train_loss[-1] < 0.5 * history.train_loss[0]
    outputs, labels = regression_outputs(model, loader)
    assert outputs.shape == labels.shape == (64,)
    assert torch.equal(labels, y)


def test_per_digit_table_averages_outputs_by_true_digit():
    outputs = torch.tensor([0.2, -0.2, 4.6, 4.4, 3.0] + [5.0, 5.5] * 5)
    labels = torch.tensor([0, 0, 4, 4, 4] + [5, 5, 6, 6, 7, 7, 8, 8, 9, 9])
    table = per_digit_table(outputs, labels)
    assert table.loc[4, "mean_output"] == pytest.approx(4.0)
    assert table.loc[4, "rounded_accuracy"] == pytest.approx(100 / 3)
    assert table.loc[0, "rounded_accuracy"] == 100.0


def test_mse_charges_3_vs_8_25_times_more_than_1_vs_2_cross_entropy_the_same():
    table = squared_error_table()
    assert table.loc[3, 8] == 25 and table.loc[1, 2] == 1 and table.loc[5, 5] == 0
    assert cross_entropy_of_a_mistake(3, 8) == pytest.approx(cross_entropy_of_a_mistake(1, 2))
    assert cross_entropy_of_a_mistake(3, 8) > cross_entropy_of_a_mistake(3, 3)
