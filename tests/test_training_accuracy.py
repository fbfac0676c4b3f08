"""The workshop's promise: the reference FNN reaches 97.8% test accuracy in 12 epochs."""

import pytest
import torch
from torch import nn

from workshop_lib import FNN, FastDataLoaderFNN, NetworkTrainer, NetworkUser, set_seed


@pytest.mark.slow
def test_reference_fnn_reaches_97_8_percent_in_12_epochs(mnist_root):
    set_seed(0)
    data = FastDataLoaderFNN(batch_size=64, seed=0)
    model = FNN(784, 256, 256, 10, activation="relu")
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    trainer = NetworkTrainer(model, nn.CrossEntropyLoss(), optimizer, data.train_loader,
                             data.val_loader, "cpu", progress=False)
    history = trainer.train(12)
    assert history.val_loss[-1] < history.val_loss[0]
    assert NetworkUser(model).evaluate(data.test_loader).accuracy >= 97.8
