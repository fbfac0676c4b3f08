"""Every bad input tried on workshop_lib's public entry points, and the clear error it must get.

One table: (name, what is called, the exception type, key words of its message). Each case runs in
a fresh scratch folder (pytest's tmp_path, also the working directory), never on the committed data.
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import struct
import subprocess
import sys
import tracemalloc
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import nbformat
import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image, ImageDraw
from torch import nn

from workshop_lib import (
    architectures,
    augmentation,
    data,
    device,
    display,
    drawings,
    experiments,
    fnn,
    initialization,
    layers,
    network_user,
    notebook_generator,
    optim,
    plots,
    preprocessing,
    regression,
    regularization,
    widgets,
)
from workshop_lib.network_trainer import History, NetworkTrainer, TrainingDivergedError, checked_loss
from workshop_lib.network_user import CHECKPOINT_FORMAT, CheckpointError, NetworkUser, weights_digest
from workshop_lib.preprocessing import PreprocessingError


@dataclass
class Case:
    name: str
    call: Callable[[Path], object]  # gets the scratch folder
    error: type[BaseException]
    words: tuple[str, ...]  # each must appear in the message (case-insensitive)


# ---- helpers that build bad inputs in the scratch folder -------------------------------------------


def sparse_file(path: Path, size: int) -> Path:
    """A file of `size` bytes that takes no disk space: a zip header, then a hole."""
    with open(path, "wb") as f:
        f.write(b"PK\x03\x04")
        f.truncate(size)
    return path


def tiny() -> fnn.FNN:
    torch.manual_seed(0)
    return fnn.FNN(hidden1=8, hidden2=8)


def saved(tmp: Path, name: str = "m.pt") -> Path:
    return NetworkUser(tiny()).save(tmp / name)


def write(tmp: Path, name: str, content: bytes) -> Path:
    path = tmp / name
    path.write_bytes(content)
    return path


def png_bytes(image: Image.Image, **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=kwargs.pop("format", "PNG"), **kwargs)
    return buffer.getvalue()


def png_header(width: int, height: int) -> bytes:
    """A PNG that claims `width` x `height` RGB pixels: header only, no picture data."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")
    )


def rewritten(tmp: Path, change: Callable[[dict], None], keep_digest: bool = True) -> Path:
    """A saved checkpoint, loaded, changed by `change`, written back (the old digest kept)."""
    path = saved(tmp)
    checkpoint = torch.load(path, weights_only=True)
    change(checkpoint)
    if not keep_digest:
        checkpoint["sha256"] = weights_digest(checkpoint.get("config"), checkpoint["state_dict"])
    torch.save(checkpoint, path)
    return path


def flip_one_weight(checkpoint: dict) -> None:
    checkpoint["state_dict"]["layers.0.0.weight"][0, 0] += 1e-3


def many_tensors(checkpoint: dict) -> None:
    checkpoint["state_dict"].update({f"extra.{i}": torch.zeros(1) for i in range(5000)})


def other_config(checkpoint: dict) -> None:
    checkpoint["config"].update(hidden1=512)


def absurd_config(checkpoint: dict) -> None:
    checkpoint["config"].update(hidden1=400_000, hidden2=1000)  # ~ 400 million parameters


def huge_model_config(checkpoint: dict) -> None:
    """Weights and config agree, and both describe a model beyond any workshop size."""
    checkpoint["config"].update(hidden1=10**6, hidden2=8)
    state = checkpoint["state_dict"]  # expanded views: a small file that claims huge tensors
    state["layers.0.0.weight"] = torch.zeros(1).expand(10**6, 784)
    state["layers.0.0.bias"] = torch.zeros(1).expand(10**6)
    state["layers.1.0.weight"] = torch.zeros(1).expand(8, 10**6)


class NoParameters(nn.Module):
    def forward(self, x):
        return x


def loader(x, y, batch=4):
    return data.TensorBatchLoader(x, y, batch)


def train_once(labels: torch.Tensor, model=None, lr=1e-3, x=None):
    model = model or tiny()
    x = torch.rand(len(labels), 784) if x is None else x
    trainer = NetworkTrainer(
        model,
        nn.CrossEntropyLoss(),
        torch.optim.SGD(model.parameters(), lr=lr),
        loader(x, labels),
        loader(x, labels),
        progress=False,
    )
    return trainer.train(1)


def diverge_on_the_last_step(tmp: Path):
    """One batch per epoch: its loss is finite, its step sends the weights to infinity."""
    torch.manual_seed(0)
    model = fnn.FNN(hidden1=8, hidden2=8)
    x, y = torch.rand(4, 784), torch.tensor([0, 1, 2, 3])
    trainer = NetworkTrainer(
        model,
        nn.CrossEntropyLoss(),
        torch.optim.SGD(model.parameters(), lr=1e38),
        loader(x, y),
        loader(x, y),
        progress=False,
    )
    trainer.train(1)


def save_diverged(tmp: Path):
    model = tiny()
    with torch.no_grad():
        model.layers[0][0].weight[0, 0] = float("nan")
    NetworkUser(model).save(tmp / "nan.pt")


def evaluate_diverged(tmp: Path):
    model = tiny()
    with torch.no_grad():
        model.layers[2][0].bias.fill_(float("inf"))
    NetworkUser(model).evaluate(loader(torch.rand(4, 784), torch.tensor([0, 1, 2, 3])))


def read_only_folder(tmp: Path):
    """A folder without write permission; as root (who may write anyway) the refusal is simulated."""
    folder = tmp / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        if os.geteuid() != 0:
            NetworkUser(tiny()).save(folder / "m.pt")
        with mock.patch("tempfile.mkstemp", side_effect=PermissionError(13, "Permission denied")):
            NetworkUser(tiny()).save(folder / "m.pt")
    finally:
        folder.chmod(0o700)


def solutions_with(tmp: Path, cell) -> Path:
    folder = tmp / "solutions"
    folder.mkdir()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Lesson"), cell])
    nbformat.write(nb, folder / "99_lesson.ipynb")
    return folder


def generate(tmp: Path, cell) -> None:
    notebook_generator.expected_notebooks(solutions_with(tmp, cell))


def code(source: str):
    return nbformat.v4.new_code_cell(source)


def markdown(source: str):
    return nbformat.v4.new_markdown_cell(source)


X4, Y4 = torch.rand(4, 784), torch.tensor([0, 1, 2, 3])
LABELS = "t10k-labels-idx1-ubyte"


def mnist_folder(tmp: Path, damage: Callable[[bytes], bytes] | None = None) -> Path:
    """A copy of the shipped MNIST files in the scratch folder, the test labels' .gz changed by `damage`."""
    folder = tmp / "mnist"
    folder.mkdir()
    for gz in data.DATA_ROOT.glob("*.gz"):
        content = gz.read_bytes()
        (folder / gz.name).write_bytes(damage(content) if damage and gz.name == f"{LABELS}.gz" else content)
    return folder


def flip_inside_the_stream(content: bytes) -> bytes:
    """One byte of the compressed stream changed so that zlib itself refuses it."""
    for offset in range(len(content) // 2, len(content) - 8, 97):
        changed = bytearray(content)
        changed[offset] ^= 0xFF
        try:
            zlib.decompress(bytes(changed), 31)  # 31: a gzip stream
        except zlib.error:
            return bytes(changed)
    raise AssertionError("no single-byte change made zlib fail")


def one_label_changed(content: bytes) -> bytes:
    import gzip

    labels = bytearray(gzip.decompress(content))
    labels[100] = (labels[100] + 1) % 10
    return gzip.compress(bytes(labels))


def mnist_variable(folder: Path):
    """A loader built with $WORKSHOP_MNIST_DIR set to `folder` for this call only."""
    previous = os.environ.get(data.MNIST_DIR_VARIABLE)
    os.environ[data.MNIST_DIR_VARIABLE] = str(folder)
    try:
        return data.FastDataLoaderFNN(subset_size=10)
    finally:
        if previous is None:
            del os.environ[data.MNIST_DIR_VARIABLE]
        else:
            os.environ[data.MNIST_DIR_VARIABLE] = previous


CASES = [
    # -- the MNIST files: damaged, altered, missing; the project's error names the file and the fix ----------
    Case(
        "MNIST .gz truncated",
        lambda t: data.FastDataLoaderFNN(root=mnist_folder(t, lambda b: b[:1000])),
        data.MNISTDataError,
        (f"{LABELS}.gz", "truncated or damaged", "to fix it"),
    ),
    Case(
        "MNIST .gz damaged inside its compressed stream",
        lambda t: data.mnist_dataset(False, mnist_folder(t, flip_inside_the_stream)),
        data.MNISTDataError,
        (f"{LABELS}.gz", "not a valid gzip file", "copy the original file"),
    ),
    Case(
        "MNIST .gz recompressed with one label changed",
        lambda t: data.ensure_mnist(mnist_folder(t, one_label_changed)),
        data.MNISTDataError,
        (f"{LABELS}.gz", "wrong content", "md5"),
    ),
    Case(
        "MNIST folder empty",
        lambda t: data.DataLoaderFNN(root=t),
        data.MNISTDataError,
        ("missing", "put the four original mnist .gz files"),
    ),
    Case(
        "MNIST root is a file",
        lambda t: data.mnist_mean_std(write(t, "mnist.gz", b"not a folder")),
        data.MNISTDataError,
        ("is a file", "folder that holds the four"),
    ),
    Case(
        "WORKSHOP_MNIST_DIR points to a missing folder",
        lambda t: mnist_variable(t / "nowhere"),
        data.MNISTDataError,
        ("missing in", "nowhere", "workshop_mnist_dir"),
    ),
    # -- data loaders: arguments are checked before any data is read -------------------------------------
    Case(
        "batch size 0",
        lambda t: data.FastDataLoaderFNN(batch_size=0, root=t),
        ValueError,
        ("batch_size", "at least 1"),
    ),
    Case(
        "negative batch size",
        lambda t: data.DataLoaderFNN(batch_size=-8, root=t),
        ValueError,
        ("batch_size",),
    ),
    Case(
        "batch size as text",
        lambda t: data.DataLoaderFNN(batch_size="64", root=t),
        TypeError,
        ("batch_size", "whole number"),
    ),
    Case(
        "batch size float",
        lambda t: data.FastDataLoaderFNN(batch_size=32.5, root=t),
        TypeError,
        ("batch_size",),
    ),
    Case(
        "validation ratio 1",
        lambda t: data.FastDataLoaderFNN(validation_ratio=1.0, root=t),
        ValueError,
        ("validation_ratio", "[0, 1)"),
    ),
    Case(
        "validation ratio negative",
        lambda t: data.DataLoaderFNN(validation_ratio=-0.1, root=t),
        ValueError,
        ("validation_ratio",),
    ),
    Case(
        "validation ratio NaN",
        lambda t: data.FastDataLoaderFNN(validation_ratio=float("nan"), root=t),
        ValueError,
        ("validation_ratio",),
    ),
    Case(
        "validation ratio as text",
        lambda t: data.FastDataLoaderFNN(validation_ratio="10%", root=t),
        TypeError,
        ("validation_ratio", "number"),
    ),
    Case(
        "split leaves no validation image",
        lambda t: data.split_indices(5, 0.05, 0),
        ValueError,
        ("0 for validation", "subset_size"),
    ),
    Case(
        "split leaves no training image",
        lambda t: data.split_indices(3, 0.9, 0),
        ValueError,
        ("0 for training", "at least one"),
    ),
    Case(
        "subset size 0",
        lambda t: data.FastDataLoaderFNN(subset_size=0, root=t),
        ValueError,
        ("subset_size", "at least 1"),
    ),
    Case(
        "subset size float",
        lambda t: data.DataLoaderFNN(subset_size=1e3, root=t),
        TypeError,
        ("subset_size", "whole number"),
    ),
    Case(
        "normalize as text",
        lambda t: data.FastDataLoaderFNN(normalize="yes", root=t),
        TypeError,
        ("normalize", "true or false"),
    ),
    Case("seed as text", lambda t: data.FastDataLoaderFNN(seed="0", root=t), TypeError, ("seed",)),
    Case("root not a path", lambda t: data.FastDataLoaderFNN(root=42), TypeError, ("root", "folder")),
    Case(
        "unknown device",
        lambda t: data.FastDataLoaderFNN(device="gpu0", root=t),
        ValueError,
        ("device", "cpu"),
    ),
    Case(
        "batch transform not callable",
        lambda t: data.FastDataLoaderFNN(batch_transform=0.5, root=t),
        TypeError,
        ("batch_transform",),
    ),
    Case(
        "negative workers", lambda t: data.DataLoaderFNN(num_workers=-1, root=t), ValueError, ("num_workers",)
    ),
    Case(
        "tensor loader, float labels",
        lambda t: data.TensorBatchLoader(X4, Y4.float(), 2),
        ValueError,
        ("integer", "long"),
    ),
    Case("tensor loader, batch 0", lambda t: data.TensorBatchLoader(X4, Y4, 0), ValueError, ("batch_size",)),
    Case(
        "tensor loader, lists", lambda t: data.TensorBatchLoader([1, 2], [0, 1], 2), TypeError, ("tensors",)
    ),
    Case(
        "tensor loader, 3 labels for 4 images",
        lambda t: data.TensorBatchLoader(X4, Y4[:3], 2),
        ValueError,
        ("4 images", "3 labels"),
    ),
    # -- checkpoints: NetworkUser.load / save --------------------------------------------------------------
    Case(
        "text file as checkpoint",
        lambda t: NetworkUser.load(write(t, "notes.pt", b"epoch 3: 97%\n")),
        CheckpointError,
        ("not a checkpoint", "text file"),
    ),
    Case(
        "PNG as checkpoint",
        lambda t: NetworkUser.load(write(t, "digit.pt", png_bytes(Image.new("L", (8, 8))))),
        CheckpointError,
        ("not a checkpoint", "png picture"),
    ),
    Case(
        "JPEG as checkpoint",
        lambda t: NetworkUser.load(write(t, "p.pt", png_bytes(Image.new("RGB", (8, 8)), format="JPEG"))),
        CheckpointError,
        ("jpeg",),
    ),
    Case(
        "empty file as checkpoint",
        lambda t: NetworkUser.load(write(t, "e.pt", b"")),
        CheckpointError,
        ("empty file",),
    ),
    Case(
        "random bytes as checkpoint",
        lambda t: NetworkUser.load(write(t, "r.pt", bytes(range(256)) * 4)),
        CheckpointError,
        ("not a checkpoint",),
    ),
    Case(
        "a zip that is not a checkpoint",
        lambda t: NetworkUser.load(write(t, "z.pt", b"PK\x03\x04" + b"\0" * 100)),
        CheckpointError,
        ("damaged or truncated",),
    ),
    Case(
        "truncated checkpoint",
        lambda t: NetworkUser.load(write(t, "c.pt", saved(t).read_bytes()[:300])),
        CheckpointError,
        ("damaged or truncated",),
    ),
    Case("checkpoint path is a folder", lambda t: NetworkUser.load(t), CheckpointError, ("is a folder",)),
    Case(
        "missing checkpoint",
        lambda t: NetworkUser.load(t / "nothing.pt"),
        FileNotFoundError,
        ("no checkpoint", "save one first"),
    ),
    Case(
        "one weight changed after saving",
        lambda t: NetworkUser.load(rewritten(t, flip_one_weight)),
        CheckpointError,
        ("changed after it was saved",),
    ),
    Case(
        "config changed after saving",
        lambda t: NetworkUser.load(rewritten(t, lambda c: c["config"].update(activation="tanh"))),
        CheckpointError,
        ("changed after it was saved",),
    ),
    Case(
        "digest removed",
        lambda t: NetworkUser.load(rewritten(t, lambda c: c.pop("sha256"))),
        CheckpointError,
        ("no digest", "save the model again"),
    ),
    Case(
        "weights changed, load_parameters",
        lambda t: NetworkUser(tiny()).load_parameters(rewritten(t, flip_one_weight)),
        CheckpointError,
        ("changed",),
    ),
    Case(
        "absurd config, digest recomputed",
        lambda t: NetworkUser.load(rewritten(t, absurd_config, keep_digest=False)),
        CheckpointError,
        ("config", "parameters", "use fewer neurons"),
    ),
    Case(
        "config of another size, digest recomputed",
        lambda t: NetworkUser.load(rewritten(t, other_config, keep_digest=False)),
        CheckpointError,
        ("does not match its weights", "layers.0.0.weight"),
    ),
    Case(
        "huge model, weights and config agree",
        lambda t: NetworkUser.load(rewritten(t, huge_model_config, keep_digest=False)),
        CheckpointError,
        ("numbers", "refused"),
    ),
    Case(
        "unknown architecture",
        lambda t: NetworkUser.load(
            rewritten(t, lambda c: c["config"].update(architecture="CNN"), keep_digest=False)
        ),
        CheckpointError,
        ("unknown architecture",),
    ),
    Case(
        "config with an unknown argument",
        lambda t: NetworkUser.load(
            rewritten(t, lambda c: c["config"].update(dropout=0.5), keep_digest=False)
        ),
        CheckpointError,
        ("config", "dropout"),
    ),
    Case(
        "config with a negative size",
        lambda t: NetworkUser.load(rewritten(t, lambda c: c["config"].update(hidden1=-5), keep_digest=False)),
        CheckpointError,
        ("config",),
    ),
    Case(
        "config not a dict",
        lambda t: NetworkUser.load(rewritten(t, lambda c: c.update(config=[1, 2]), keep_digest=False)),
        CheckpointError,
        ("not a dict",),
    ),
    Case(
        "state dict holds text",
        lambda t: NetworkUser.load(rewritten(t, lambda c: c["state_dict"].update(x="hi"))),
        CheckpointError,
        ("state_dict",),
    ),
    Case(
        "other format",
        lambda t: NetworkUser.load(rewritten(t, lambda c: c.update(format="x/9"))),
        CheckpointError,
        ("not a fnn workshop checkpoint",),
    ),
    Case(
        "a plain state dict",
        lambda t: NetworkUser.load(_plain_state_dict(t)),
        CheckpointError,
        ("not a fnn workshop checkpoint", CHECKPOINT_FORMAT),
    ),
    Case(
        "save where no folder can be made",
        lambda t: NetworkUser(tiny()).save("/proc/fnn-workshop/m.pt"),
        CheckpointError,
        ("cannot write", "folder you can write"),
    ),
    Case(
        "load onto an unknown device",
        lambda t: NetworkUser.load(saved(t), device="gpu0"),
        ValueError,
        ("unknown device", "cpu"),
    ),
    Case(
        "confusion matrix with class 10 of 10",
        lambda t: network_user.confusion_matrix(Y4, torch.tensor([0, 1, 2, 10]), 10),
        ValueError,
        ("y_pred", "0..9"),
    ),
    Case(
        "confusion matrix, 3 predictions for 4 labels",
        lambda t: network_user.confusion_matrix(Y4, Y4[:3], 10),
        ValueError,
        ("one per image",),
    ),
    Case(
        "split of no images",
        lambda t: data.split_indices(0, 0.1, 0),
        ValueError,
        ("n", "at least 1"),
    ),
    Case(
        "unknown device name",
        lambda t: device.select_device("gpu"),
        ValueError,
        ("unknown device", "cuda"),
    ),
    Case(
        "set_seed with text",
        lambda t: device.set_seed("zero"),
        ValueError,
        ("seed", "whole number"),
    ),
    Case(
        "negative seed",
        lambda t: device.set_seed(-1),
        ValueError,
        ("seed",),
    ),
    Case(
        "Adam of no parameters",
        lambda t: optim.make_adam([]),
        ValueError,
        ("no parameters",),
    ),
    Case(
        "normal init with a negative std",
        lambda t: initialization.initializer("normal(-1)"),
        ValueError,
        ("unknown initialisation scheme", "normal(0.01)"),
    ),
    Case(
        "activation as a list",
        lambda t: fnn.make_activation(["relu"]),
        ValueError,
        ("unknown activation",),
    ),
    Case(
        "layer dict with an unknown key",
        lambda t: layers.DeepFNN([{"size": 8, "dropout": 0.5}]),
        ValueError,
        ("layer dict", "size"),
    ),
    Case(
        "train a setting on no data",
        lambda t: experiments.train_setting({}, None, 1),
        TypeError,
        ("fastdataloaderfnn",),
    ),
    Case(
        "train a setting for 0 epochs",
        lambda t: experiments.train_setting({}, _Loaders(), 0),
        ValueError,
        ("epochs",),
    ),
    Case(
        "plot a grid by an unknown column",
        lambda t: plots.plot_grid(pd.DataFrame({"neurons": [8]}), x="layers"),
        ValueError,
        ("no column", "neurons"),
    ),
    Case(
        "save onto a folder",
        lambda t: NetworkUser(tiny()).save(t),
        CheckpointError,
        ("is a folder", "file name"),
    ),
    Case(
        "save into a read-only folder",
        read_only_folder,
        CheckpointError,
        ("cannot write", "folder you can write"),
    ),
    Case(
        "save under a file used as a folder",
        lambda t: NetworkUser(tiny()).save(write(t, "f", b"x") / "m.pt"),
        CheckpointError,
        ("cannot write",),
    ),
    Case("save a diverged model", save_diverged, CheckpointError, ("nan or infinite", "learning rate")),
    Case("wrap something not a model", lambda t: NetworkUser("model.pt"), TypeError, ("nn.module",)),
    Case(
        "wrap a model without parameters",
        lambda t: NetworkUser(NoParameters()),
        ValueError,
        ("no parameters",),
    ),
    Case("evaluate an empty loader", lambda t: NetworkUser(tiny()).evaluate([]), ValueError, ("no samples",)),
    Case(
        "evaluate labels 0..10",
        lambda t: NetworkUser(tiny()).evaluate(
            loader(X4, torch.tensor([0, 1, 2, 10])),
        ),
        ValueError,
        ("0..9", "10"),
    ),
    Case(
        "evaluate float labels",
        lambda t: NetworkUser(tiny()).evaluate([(X4, Y4.float())]),
        ValueError,
        ("integer", "long"),
    ),
    Case("evaluate a diverged model", evaluate_diverged, ValueError, ("nan or infinite", "learning rate")),
    # -- the trainer --------------------------------------------------------------------------------------
    Case(
        "NaN on the last step: validation loss",
        diverge_on_the_last_step,
        TrainingDivergedError,
        ("validation loss", "epoch 1", "learning rate", "lower"),
    ),
    Case("training labels 10", lambda t: train_once(torch.tensor([0, 1, 2, 10])), ValueError, ("0..9", "10")),
    Case("training labels -1", lambda t: train_once(torch.tensor([0, 1, -1, 3])), ValueError, ("0..9", "-1")),
    Case(
        "training labels float",
        lambda t: train_once(torch.tensor([0.0, 1.0, 2.0, 3.0])),
        ValueError,
        ("integer", "long"),
    ),
    Case(
        "training labels bool",
        lambda t: train_once(torch.tensor([True, False, True, False])),
        ValueError,
        ("integer",),
    ),
    Case(
        "images not flattened", lambda t: train_once(Y4, x=torch.rand(4, 1, 28, 28)), ValueError, ("flatten",)
    ),
    Case(
        "train a model without parameters",
        lambda t: NetworkTrainer(NoParameters(), nn.MSELoss(), None, [], []),
        ValueError,
        ("no parameters",),
    ),
    Case(
        "train on an empty loader",
        lambda t: NetworkTrainer(
            tiny(), nn.CrossEntropyLoss(), torch.optim.SGD(tiny().parameters(), 0.1), [], [], progress=False
        ).train(1),
        ValueError,
        ("no samples",),
    ),
    Case(
        "epochs as text",
        lambda t: NetworkTrainer(tiny(), nn.CrossEntropyLoss(), None, [], []).train("3"),
        ValueError,
        ("epochs", "whole number"),
    ),
    Case(
        "negative epochs",
        lambda t: NetworkTrainer(tiny(), nn.CrossEntropyLoss(), None, [], []).train(-1),
        ValueError,
        ("epochs",),
    ),
    # -- models and layers --------------------------------------------------------------------------------
    Case(
        "FNN of a million neurons",
        lambda t: fnn.FNN(hidden1=1_000_000),
        ValueError,
        ("parameters", "fewer neurons"),
    ),
    Case(
        "DeepFNN of ten 4096-neuron layers",
        lambda t: layers.DeepFNN([4096] * 10),
        ValueError,
        ("parameters", "fewer neurons"),
    ),
    Case("negative layer size", lambda t: fnn.FNN(hidden1=-5), ValueError, ("hidden1", "positive")),
    Case(
        "layer size as text", lambda t: fnn.dense_layer("784", 10), TypeError, ("in_features", "whole number")
    ),
    Case("layer size 0", lambda t: fnn.dense_layer(784, 0), ValueError, ("out_features", "positive")),
    Case(
        "unknown activation", lambda t: fnn.FNN(activation="Relu"), ValueError, ("unknown activation", "relu")
    ),
    Case(
        "batch norm 'yes'",
        lambda t: fnn.dense_layer(4, 4, batch_norm="yes"),
        ValueError,
        ("batch_norm", "before"),
    ),
    Case("a single image without batch", lambda t: tiny()(torch.rand(784)), ValueError, ("unsqueeze",)),
    Case(
        "numpy input",
        lambda t: tiny()(np.zeros((2, 784), dtype=np.float32)),
        TypeError,
        ("tensor", "torch.from_numpy"),
    ),
    Case(
        "uint8 images", lambda t: tiny()(torch.zeros(2, 784, dtype=torch.uint8)), TypeError, ("float", "255")
    ),
    Case("DeepFNN layer 0", lambda t: layers.DeepFNN([256, 0]), ValueError, ("positive",)),
    Case("DeepFNN layers as text", lambda t: layers.DeepFNN("256"), TypeError, ("describe a layer",)),
    Case(
        "DeepFNN negative input size",
        lambda t: layers.DeepFNN([8], input_size=-1),
        ValueError,
        ("input_size",),
    ),
    Case(
        "config without architecture",
        lambda t: architectures.build_from_config({"hidden1": 8}),
        ValueError,
        ("unknown architecture",),
    ),
    Case(
        "config that is not a dict",
        lambda t: architectures.build_from_config("FNN"),
        TypeError,
        ("config", "dict"),
    ),
    Case(
        "config with an unknown key",
        lambda t: architectures.build_from_config({"architecture": "FNN", "dropout": 0.5}),
        ValueError,
        ("dropout",),
    ),
    # -- initialization and regularization ----------------------------------------------------------------
    Case(
        "unknown init scheme",
        lambda t: initialization.initialize(tiny(), "he"),
        ValueError,
        ("unknown initialisation scheme",),
    ),
    Case(
        "init scheme a number",
        lambda t: initialization.initialize(tiny(), 0.01),
        ValueError,
        ("normal(0.01)",),
    ),
    Case(
        "init a model without linear layers",
        lambda t: initialization.initialize(NoParameters()),
        ValueError,
        ("no nn.linear",),
    ),
    Case(
        "activation statistics of an empty model",
        lambda t: initialization.activation_statistics(NoParameters(), X4),
        ValueError,
        ("no nn.linear",),
    ),
    Case(
        "negative L2 strength", lambda t: regularization.l2_penalty(-1e-4), ValueError, ("zero or positive",)
    ),
    Case("L1 strength as text", lambda t: regularization.l1_penalty("1e-4"), TypeError, ("number",)),
    Case(
        "sparsity of an empty model",
        lambda t: regularization.sparsity(NoParameters()),
        ValueError,
        ("no nn.linear",),
    ),
    # -- regression ---------------------------------------------------------------------------------------
    Case(
        "regression loss on 10 outputs",
        lambda t: regression.DigitRegressionLoss()(torch.rand(4, 10), Y4),
        ValueError,
        ("output_size=1",),
    ),
    Case(
        "regression outputs of an empty loader",
        lambda t: regression.regression_outputs(fnn.FNN(output_size=1), []),
        ValueError,
        ("no samples",),
    ),
    Case(
        "regression outputs, no parameters",
        lambda t: regression.regression_outputs(NoParameters(), [(X4, Y4)]),
        ValueError,
        ("no parameters",),
    ),
    Case(
        "per-digit table, nothing",
        lambda t: regression.per_digit_table(torch.zeros(0), torch.zeros(0, dtype=torch.long)),
        ValueError,
        ("0 outputs", "regression_outputs"),
    ),
    Case(
        "cross-entropy of digit 10",
        lambda t: regression.cross_entropy_of_a_mistake(10, 3),
        ValueError,
        ("0..9",),
    ),
    Case(
        "cross-entropy confidence 1.5",
        lambda t: regression.cross_entropy_of_a_mistake(1, 3, 1.5),
        ValueError,
        ("confidence",),
    ),
    # -- augmentation -------------------------------------------------------------------------------------
    Case("negative rotation", lambda t: augmentation.RandomAffine(degrees=-5), ValueError, ("degrees",)),
    Case(
        "scale a single number",
        lambda t: augmentation.RandomAffine(scale=0.9),
        TypeError,
        ("scale", "(0.9, 1.1)"),
    ),
    Case(
        "degrees as text", lambda t: augmentation.RandomAffine(degrees="10"), TypeError, ("degrees", "number")
    ),
    Case(
        "augment 28x28 images",
        lambda t: augmentation.RandomAffine(seed=0)(torch.rand(4, 28, 28)),
        ValueError,
        ("[b, 784]",),
    ),
    Case(
        "affine with wrong matrices",
        lambda t: augmentation.apply_affine(X4, torch.rand(4, 3, 3)),
        ValueError,
        ("[b, 2, 3]",),
    ),
    # -- plots --------------------------------------------------------------------------------------------
    Case("show no images", lambda t: plots.show_images(torch.zeros(0, 784)), ValueError, ("empty",)),
    Case(
        "show images, wrong label count",
        lambda t: plots.show_images(X4, Y4[:2]),
        ValueError,
        ("one per image",),
    ),
    Case(
        "show a flat 100-pixel batch",
        lambda t: plots.show_images(torch.rand(2, 100)),
        ValueError,
        ("[n, 784]",),
    ),
    Case(
        "label distribution, labels 12",
        lambda t: plots.plot_label_distribution({"train": [0, 1, 12]}),
        ValueError,
        ("0..9", "12"),
    ),
    Case(
        "label distribution, negative labels",
        lambda t: plots.plot_label_distribution({"train": [0, -1]}),
        ValueError,
        ("0..9",),
    ),
    Case(
        "label distribution, float labels",
        lambda t: plots.plot_label_distribution({"train": [0.5, 1.0]}),
        ValueError,
        ("whole",),
    ),
    Case(
        "label distribution, empty split",
        lambda t: plots.plot_label_distribution({"train": []}),
        ValueError,
        ("no labels",),
    ),
    Case(
        "label distribution, bad stat",
        lambda t: plots.plot_label_distribution({"train": Y4}, stat="percent"),
        ValueError,
        ("stat",),
    ),
    Case("history of nothing", lambda t: plots.plot_history({}), ValueError, ("empty", "train")),
    Case(
        "confusion matrix 2x3",
        lambda t: plots.plot_confusion_matrix(np.zeros((2, 3))),
        ValueError,
        ("square",),
    ),
    Case(
        "confusion matrix, 3 names for 10",
        lambda t: plots.plot_confusion_matrix(np.eye(10), class_names="abc"),
        ValueError,
        ("class names",),
    ),
    # -- widgets' plain functions ---------------------------------------------------------------------------
    Case(
        "a 300 MB checkpoint (sparse file)",
        lambda t: NetworkUser.load(sparse_file(t / "huge.pt", 300 * 2**20)),
        CheckpointError,
        ("larger than any workshop model", "refused unread"),
    ),
    Case(
        "DeepFNN of 500 layers",
        lambda t: layers.DeepFNN([8] * 500),
        ValueError,
        ("500 hidden layers", "fewer layers"),
    ),
    Case(
        "checkpoint of 5000 tensors",
        lambda t: NetworkUser.load(rewritten(t, many_tensors, keep_digest=False)),
        CheckpointError,
        ("5,", "tensors", "refused"),
    ),
    Case(
        "print an epoch of an empty history",
        lambda t: display.print_epoch(None, History()),
        ValueError,
        ("no epoch recorded", "callback"),
    ),
    Case(
        "browse labels 0..10",
        lambda t: widgets.PredictionBrowser(tiny(), loader(X4, torch.tensor([0, 1, 2, 10]))),
        ValueError,
        ("labels run from 0 to 10", "0..9"),
    ),
    Case(
        "browse an empty loader", lambda t: widgets.predictions_for(tiny(), []), ValueError, ("no batches",)
    ),
    Case(
        "browse true class 10",
        lambda t: widgets.PredictionBrowser(tiny(), loader(X4, Y4), true_class=10),
        ValueError,
        ("true_class", "0..9"),
    ),
    Case(
        "browse true class '4'",
        lambda t: widgets.PredictionBrowser(tiny(), loader(X4, Y4), true_class="4"),
        TypeError,
        ("true_class", "whole number"),
    ),
    Case(
        "select class 12",
        lambda t: widgets.select_indices(Y4, Y4, torch.rand(4, 10), true_class=12),
        ValueError,
        ("true_class", "0..9"),
    ),
    Case(
        "probabilities of a 4-D output",
        lambda t: widgets.predictions_for(NoParamsButWrongShape(), loader(X4, Y4)),
        ValueError,
        ("[b, c] logits",),
    ),
    Case(
        "digit picture 10x10",
        lambda t: widgets.digit_png(np.zeros((10, 10))),
        ValueError,
        ("784",),
    ),
    Case(
        "predict with mean but no std",
        lambda t: widgets.predict_digit(tiny(), np.eye(28), mean=0.13),
        ValueError,
        ("mean and std",),
    ),
    Case(
        "predict with std 0",
        lambda t: widgets.predict_digit(tiny(), np.eye(28), mean=0.1, std=0.0),
        ValueError,
        ("std", "positive"),
    ),
    Case(
        "predict a blank drawing",
        lambda t: widgets.predict_digit(tiny(), np.zeros((28, 28))),
        preprocessing.BlankImageError,
        ("blank",),
    ),
    # -- preprocessing and uploads ------------------------------------------------------------------------
    Case(
        "upload text bytes",
        lambda t: preprocessing.open_image(b"not a picture"),
        PreprocessingError,
        ("could not read", "png, jpeg"),
    ),
    Case(
        "upload a truncated PNG",
        lambda t: preprocessing.open_image(png_bytes(Image.new("L", (64, 64), 9))[:60]),
        PreprocessingError,
        ("could not read",),
    ),
    Case(
        "upload a 10000x10000 PNG",
        lambda t: preprocessing.open_image(png_header(10_000, 10_000)),
        PreprocessingError,
        ("too large", "10000x10000", "shrink"),
    ),
    Case(
        "upload a 60000x60000 PNG (bomb)",
        lambda t: preprocessing.open_image(png_header(60_000, 60_000)),
        PreprocessingError,
        ("too large",),
    ),
    Case(
        "upload a file name", lambda t: preprocessing.open_image("digit.png"), PreprocessingError, ("bytes",)
    ),
    Case(
        "an empty picture",
        lambda t: preprocessing.mnist_style(np.zeros((0, 5))),
        PreprocessingError,
        ("empty",),
    ),
    Case(
        "a 5-channel picture",
        lambda t: preprocessing.mnist_style(np.zeros((8, 8, 5))),
        PreprocessingError,
        ("rgb",),
    ),
    Case(
        "a picture with NaN",
        lambda t: preprocessing.mnist_style(np.full((8, 8), np.nan)),
        PreprocessingError,
        ("nan",),
    ),
    Case(
        "None as picture",
        lambda t: preprocessing.mnist_style(None),
        PreprocessingError,
        ("expected an image",),
    ),
    Case(
        "a path as picture",
        lambda t: preprocessing.mnist_style("digit.png"),
        PreprocessingError,
        ("expected an image", "open_image"),
    ),
    Case(
        "a complex-valued picture",
        lambda t: preprocessing.mnist_style(np.ones((8, 8), dtype=complex)),
        PreprocessingError,
        ("real",),
    ),
    Case(
        "a uniform picture",
        lambda t: preprocessing.mnist_style(Image.new("RGB", (50, 50), "white")),
        preprocessing.BlankImageError,
        ("blank",),
    ),
    Case(
        "a fully transparent picture",
        lambda t: preprocessing.mnist_style(Image.new("RGBA", (50, 50))),
        preprocessing.BlankImageError,
        ("blank",),
    ),
    Case(
        "naive resize of nothing",
        lambda t: preprocessing.naive_resize(np.zeros((0, 0))),
        PreprocessingError,
        ("empty",),
    ),
    # -- hyperparameters ----------------------------------------------------------------------------------
    Case(
        "unknown hyperparameter",
        lambda t: experiments.settings_of(dropout=0.5),
        ValueError,
        ("unknown hyperparameter",),
    ),
    Case("grid of one value", lambda t: experiments.grid(neurons=64), TypeError, ("list of values",)),
    Case(
        "zero neurons",
        lambda t: experiments.build_model({"neurons": 0}),
        ValueError,
        ("neurons", "positive"),
    ),
    Case(
        "learning rate as text",
        lambda t: experiments.settings_of(learning_rate="1e-3"),
        TypeError,
        ("learning_rate", "number"),
    ),
    Case(
        "negative learning rate",
        lambda t: experiments.settings_of(learning_rate=-0.1),
        ValueError,
        ("learning_rate", "positive"),
    ),
    Case(
        "no hidden layers as text",
        lambda t: experiments.settings_of(hidden_layers="2"),
        TypeError,
        ("hidden_layers",),
    ),
    # -- synthetic drawings -------------------------------------------------------------------------------
    Case("draw digit 10", lambda t: drawings.draw_digit(10), ValueError, ("0..9",)),
    Case("draw digit '3'", lambda t: drawings.draw_digit("3"), ValueError, ("0..9",)),
    # -- the notebook generator ---------------------------------------------------------------------------
    Case(
        "code marker in markdown",
        lambda t: generate(t, markdown("### BEGIN SOLUTION\nanswer\n### END SOLUTION")),
        notebook_generator.MarkerError,
        ("99_lesson.ipynb", "cell 1", "markdown cell", "<!-- begin solution -->"),
    ),
    Case(
        "markdown marker in code",
        lambda t: generate(t, code("<!-- BEGIN SOLUTION -->\nx = 1\n<!-- END SOLUTION -->")),
        notebook_generator.MarkerError,
        ("cell 1", "code cell", "### begin solution"),
    ),
    Case(
        "lowercase code marker",
        lambda t: generate(t, code("### begin solution\nx = 1\n### end solution")),
        notebook_generator.MarkerError,
        ("line 1", "### begin solution"),
    ),
    Case(
        "lowercase markdown marker",
        lambda t: generate(t, markdown("<!-- begin solution -->\nx\n<!-- end solution -->")),
        notebook_generator.MarkerError,
        ("line 1",),
    ),
    Case(
        "one hash only",
        lambda t: generate(t, code("# BEGIN SOLUTION\nx = 1\n# END SOLUTION")),
        notebook_generator.MarkerError,
        ("not a valid solution marker",),
    ),
    Case(
        "misspelled marker",
        lambda t: generate(t, code("### BEGIN SOLUTON\nx = 1\n### END SOLUTION")),
        notebook_generator.MarkerError,
        ("solution marker",),
    ),
    Case(
        "underscore marker",
        lambda t: generate(t, code("### BEGIN_SOLUTION\nx = 1\n### END_SOLUTION")),
        notebook_generator.MarkerError,
        ("solution marker",),
    ),
    Case(
        "marker in a raw cell",
        lambda t: generate(t, nbformat.v4.new_raw_cell("### BEGIN SOLUTION\nx")),
        notebook_generator.MarkerError,
        ("raw cell", "code or markdown"),
    ),
    Case(
        "BEGIN never closed",
        lambda t: generate(t, code("### BEGIN SOLUTION\nx = 1")),
        notebook_generator.MarkerError,
        ("never closed",),
    ),
    Case(
        "END without BEGIN",
        lambda t: generate(t, code("x = 1\n### END SOLUTION")),
        notebook_generator.MarkerError,
        ("without",),
    ),
    Case(
        "BEGIN inside BEGIN",
        lambda t: generate(t, code("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION")),
        notebook_generator.MarkerError,
        ("inside another",),
    ),
]


class NoParamsButWrongShape(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.ones(1))

    def forward(self, x):
        return x.view(len(x), 1, 28, 28) * self.w


class _Loaders:
    train_loader = val_loader = test_loader = ()

    def reseed(self, seed):
        pass


def _plain_state_dict(tmp: Path) -> Path:
    path = tmp / "state.pt"
    torch.save(tiny().state_dict(), path)
    return path


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_gets_a_clear_error(case, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(case.error) as info:
        case.call(tmp_path)
    message = str(info.value).lower()
    missing = [w for w in case.words if w.lower() not in message]
    assert not missing, f"{case.name}: {missing} not in the message: {info.value}"
    # never one of the errors that say nothing to a learner
    assert type(info.value) not in (KeyError, IndexError, ZeroDivisionError, StopIteration, AttributeError)


def test_case_names_are_unique_and_many():
    names = [c.name for c in CASES]
    assert len(set(names)) == len(names)
    print(f"{len(CASES)} bad inputs tested")


# ---- nothing lost, nothing half-written, memory bounded ------------------------------------------------


def test_a_killed_save_leaves_a_temporary_file_that_the_next_save_removes(tmp_path):
    path = tmp_path / "m.pt"
    NetworkUser(tiny()).save(path)
    good = path.read_bytes()
    killed = (
        "import os, torch\n"
        "from workshop_lib.fnn import FNN\nfrom workshop_lib.network_user import NetworkUser\n"
        "def crash(obj, f):\n    f.write(b'half a checkpoint'); f.flush(); os._exit(9)\n"
        "torch.save = crash\n"
        f"NetworkUser(FNN(hidden1=8, hidden2=8)).save({str(path)!r})\n"
    )
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, "-c", killed], env={**os.environ, "PYTHONPATH": str(root)})
    assert done.returncode == 9
    assert path.read_bytes() == good  # the last good checkpoint is untouched
    assert len(list(tmp_path.glob(".m.pt.*.tmp"))) == 1  # the kill left its temporary file
    other = tmp_path / ".other.pt.1-x.tmp"  # another checkpoint's: not ours to delete
    other.write_bytes(b"")
    NetworkUser(tiny()).save(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.pt.1-x.tmp", "m.pt"]
    NetworkUser.load(path)


def test_a_running_save_is_left_alone_and_an_old_one_is_cleaned(tmp_path):
    running = tmp_path / f".m.pt.{os.getpid()}-live.tmp"  # this process is alive
    stale = tmp_path / f".m.pt.{os.getpid()}-old.tmp"
    running.write_bytes(b"")
    stale.write_bytes(b"")
    os.utime(stale, (0, 0))  # untouched for decades
    NetworkUser(tiny()).save(tmp_path / "m.pt")
    assert running.exists() and not stale.exists()


@pytest.mark.parametrize("umask,mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_checkpoints_are_created_with_the_mode_the_umask_allows(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        path = NetworkUser(tiny()).save(tmp_path / "m.pt")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == mode


def test_a_saved_checkpoint_loads_back_exactly(tmp_path):
    model = tiny()
    loaded = NetworkUser.load(NetworkUser(model).save(tmp_path / "m.pt")).model
    for (name, a), b in zip(model.state_dict().items(), loaded.state_dict().values(), strict=True):
        assert torch.equal(a, b), name


def test_divergence_on_the_last_step_records_nothing_and_the_model_cannot_be_saved(tmp_path):
    torch.manual_seed(0)
    model = fnn.FNN(hidden1=8, hidden2=8)
    trainer = NetworkTrainer(
        model,
        nn.CrossEntropyLoss(),
        torch.optim.SGD(model.parameters(), lr=1e38),
        loader(X4, Y4),
        loader(X4, Y4),
        progress=False,
    )
    with pytest.raises(TrainingDivergedError, match="validation loss became nan after epoch 1"):
        trainer.train(1)
    assert trainer.history.val_loss == [] and trainer.history.train_loss == []
    with pytest.raises(CheckpointError, match="NaN or infinite"):
        NetworkUser(model).save(tmp_path / "m.pt")
    assert list(tmp_path.iterdir()) == []


def test_the_generator_exits_non_zero_and_writes_nothing_on_a_bad_marker(tmp_path, capsys):
    solutions = solutions_with(tmp_path, markdown("### BEGIN SOLUTION\nthe answer\n### END SOLUTION"))
    notebooks = tmp_path / "notebooks"
    status = notebook_generator.main(["--solutions", str(solutions), "--notebooks", str(notebooks)])
    assert status != 0
    assert "99_lesson.ipynb, cell 1" in capsys.readouterr().err
    assert not list(notebooks.glob("*.ipynb"))


def test_a_marker_with_an_id_is_valid_in_markdown():
    notebook_generator.check_markers(
        ["<!-- BEGIN SOLUTION id=why-three-splits -->", "x", "<!-- END SOLUTION -->"],
        "markdown",
        "nb, cell 2",
    )


def digit_picture() -> Image.Image:
    """A dark "7" on light paper, 120x90."""
    image = Image.new("L", (120, 90), 235)
    ImageDraw.Draw(image).line([(40, 15), (80, 15), (55, 75)], fill=20, width=8)
    return image


def in_mode(mode: str) -> Image.Image:
    gray = digit_picture()
    values = np.asarray(gray)
    if mode == "I;16":
        return Image.fromarray(values.astype(np.uint16) * 257)  # 16-bit: the full 0..65535 range
    if mode == "I":
        return Image.fromarray(values.astype(np.int32) * 257)
    if mode == "F":
        return Image.fromarray(values.astype(np.float32) / 255)  # floats in 0..1
    if mode == "alpha ink":  # black everywhere; only the alpha channel draws the digit
        rgba = np.zeros((*values.shape, 4), dtype=np.uint8)
        rgba[..., 3] = 255 - values
        return Image.fromarray(rgba)
    if mode == "1":
        return gray.convert("1", dither=Image.Dither.NONE)  # a scanner's black and white
    return gray.convert(mode)


MODES = ["1", "L", "P", "RGB", "RGBA", "LA", "PA", "CMYK", "YCbCr", "I;16", "I", "F", "alpha ink"]


@pytest.mark.parametrize("mode", MODES)
def test_every_picture_mode_gives_the_same_digit(mode):
    reference = preprocessing.mnist_style(digit_picture())
    result = preprocessing.mnist_style(in_mode(mode))
    similarity = torch.nn.functional.cosine_similarity(reference, result, dim=0).item()
    assert similarity > 0.9, f"{mode}: cosine similarity {similarity:.3f} with the gray picture's digit"


@pytest.mark.parametrize(
    "mode,fmt", [("I;16", "PNG"), ("F", "TIFF"), ("CMYK", "JPEG"), ("P", "GIF"), ("LA", "PNG"), ("1", "BMP")]
)
def test_every_picture_mode_reads_from_file_bytes(mode, fmt):
    data = png_bytes(in_mode(mode), format=fmt, **({"quality": 95} if fmt == "JPEG" else {}))
    result = preprocessing.mnist_style(preprocessing.open_image(data))
    reference = preprocessing.mnist_style(digit_picture())
    assert torch.nn.functional.cosine_similarity(reference, result, dim=0).item() > 0.9


@pytest.mark.parametrize("fmt", ["GIF", "PNG"])
def test_an_animated_picture_reads_its_first_frame(fmt):
    blank = Image.new("L", (120, 90), 235)
    frames = [digit_picture().convert("P"), blank.convert("P")] if fmt == "GIF" else [digit_picture(), blank]
    data = png_bytes(frames[0], format=fmt, save_all=True, append_images=frames[1:], duration=100)
    assert getattr(Image.open(io.BytesIO(data)), "n_frames", 1) == 2
    result = preprocessing.mnist_style(preprocessing.open_image(data))
    reference = preprocessing.mnist_style(digit_picture())
    assert torch.nn.functional.cosine_similarity(reference, result, dim=0).item() > 0.9


def test_a_big_upload_is_shrunk_while_decoding():
    big = Image.new("L", (4000, 3000), 235)
    ImageDraw.Draw(big).line([(1500, 750), (2250, 750), (1750, 2250)], fill=20, width=120)
    image = preprocessing.open_image(png_bytes(big, format="JPEG"))
    assert max(image.size) <= preprocessing.MAX_SIDE
    assert image.size == (1024, 768)  # the aspect ratio is kept


def test_a_48_megapixel_photo_upload_stays_within_300_mb(tmp_path):
    """A fresh process uploads an 8000x6000 JPEG: its resident memory may grow by 300 MB at most."""
    spec = importlib.util.spec_from_file_location("upload_memory", BENCHMARK)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    result = bench.measure(bench.photo(tmp_path / "photo.jpg", "RGB"))
    print(json.dumps(result))
    assert result["predicted"], result["message"]
    assert result["rss_growth_mb"] < 300, result  # it was about 3,200 MB before pictures were shrunk


BENCHMARK = Path(__file__).resolve().parent.parent / "benchmarks" / "upload_memory.py"


def test_a_big_pil_picture_is_shrunk_before_any_float_array_is_made():
    big = Image.new("RGB", (4000, 3000), (235, 230, 220))  # 12 megapixels: 288 MB as float64 RGB
    ImageDraw.Draw(big).line([(1500, 750), (2250, 750), (1750, 2250)], fill=(20, 20, 40), width=120)
    tracemalloc.start()
    try:
        result = preprocessing.mnist_style(big)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    print(f"mnist_style of a 4000x3000 RGB picture: tracemalloc peak {peak / 2**20:.0f} MB")
    assert peak < 100 * 2**20
    small = big.resize((400, 300), Image.Resampling.BOX)
    reference = preprocessing.mnist_style(small)
    assert torch.nn.functional.cosine_similarity(reference, result, dim=0).item() > 0.95


def test_on_a_gpu_labels_are_checked_before_the_loss_runs():
    """A device-side assert would break the CUDA context: the loss must never see a bad label there."""
    calls = []

    def loss(logits, y):
        calls.append(1)
        return nn.functional.cross_entropy(logits, y)

    logits = torch.rand(4, 10)
    with pytest.raises(ValueError, match=r"0\.\.9"):
        checked_loss(loss, logits, torch.tensor([0, 1, 2, 10]), look_first=True)
    assert calls == []
    expected = nn.functional.cross_entropy(logits, Y4)
    assert torch.equal(checked_loss(loss, logits, Y4, look_first=True), expected) and calls == [1]
    soft = torch.softmax(torch.rand(4, 10), dim=1)  # probabilities as targets are fine
    torch.testing.assert_close(
        checked_loss(loss, logits, soft, look_first=True), nn.functional.cross_entropy(logits, soft)
    )
