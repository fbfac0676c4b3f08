import torch
from torch import nn

from workshop_lib.device import model_device, select_device, set_seed


def test_a_model_is_where_its_parameters_are():
    assert model_device(nn.Linear(3, 2)) == torch.device("cpu")
    assert model_device(nn.Linear(3, 2).to("meta")) == torch.device("meta")
    assert model_device(nn.ReLU()) == torch.device("cpu")  # no parameters: the CPU


def test_a_preferred_device_wins():
    assert select_device("meta") == torch.device("meta")


def test_set_seed_repeats_torch_numbers():
    set_seed(3)
    first = torch.rand(4)
    torch.rand(10)
    set_seed(3)
    assert torch.equal(torch.rand(4), first)
