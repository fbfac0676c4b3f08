"""FNN Workshop: the small library the lessons import."""

from .data import DataLoaderFNN, FastDataLoaderFNN, ensure_mnist, mnist_mean_std
from .device import select_device, set_seed
from .fnn import FNN, dense_layer
from .layers import DeepFNN, Layer, LayerFactory
from .network_trainer import History, NetworkTrainer, sum_correct_preds
from .network_user import NetworkUser

__all__ = [
    "DataLoaderFNN",
    "DeepFNN",
    "FNN",
    "FastDataLoaderFNN",
    "History",
    "Layer",
    "LayerFactory",
    "NetworkTrainer",
    "NetworkUser",
    "dense_layer",
    "ensure_mnist",
    "mnist_mean_std",
    "select_device",
    "set_seed",
    "sum_correct_preds",
]
