"""FNN Workshop: the small library the lessons import."""
import sys

if sys.version_info < (3, 10):  # noqa: UP036  (a plain message, not a failed import deep inside)
    raise ImportError(f"FNN Workshop needs Python 3.10 or newer; this is Python {sys.version.split()[0]}. "
                      "Run `python workshop_lib/preflight.py` in the workshop folder for how to fix it.")

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
