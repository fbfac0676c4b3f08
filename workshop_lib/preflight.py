"""The evening-before check: `python -m workshop_lib.preflight` prints OK or what to fix."""

from __future__ import annotations

import importlib
import importlib.metadata as md
import sys
import time
from collections.abc import Callable

MIN_VERSIONS = {
    "torch": "2.4",
    "torchvision": "0.19",
    "ipywidgets": "8.1",
    "jupyterlab": "4.2",
    "jupyterlab_widgets": "3.0",
    "ipycanvas": "0.13",
    "matplotlib": "3.7",
    "seaborn": "0.13",
    "tqdm": "4.66",
}
FIX_INSTALL = "run `make lab` again (or `pip install -e .` in the workshop folder)"


def _version_tuple(v: str) -> tuple[int, ...]:
    parts = []
    for piece in v.split("+")[0].split("."):
        digits = "".join(c for c in piece if c.isdigit())
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


def check_python() -> str:
    return f"Python {sys.version.split()[0]}"


def check_versions() -> str:
    found = []
    for package, minimum in MIN_VERSIONS.items():
        try:
            version = md.version(package)
        except md.PackageNotFoundError:
            raise RuntimeError(f"{package} is not installed: {FIX_INSTALL}.") from None
        if _version_tuple(version) < _version_tuple(minimum):
            raise RuntimeError(f"{package} {version} is older than {minimum}: {FIX_INSTALL}.")
        found.append(f"{package} {version}")
    importlib.import_module("torchvision")  # a mismatched torch/torchvision pair fails here
    return ", ".join(found)


def check_data() -> str:
    from .data import ensure_mnist, mnist_dataset

    folder = ensure_mnist()
    sizes = len(mnist_dataset(True)), len(mnist_dataset(False))
    if sizes != (60_000, 10_000):
        raise RuntimeError(f"MNIST has {sizes} images, expected (60000, 10000).")
    return f"MNIST verified (MD5) in {folder}: 60000 train, 10000 test images"


def check_widgets() -> str:
    import ipycanvas  # noqa: F401
    import ipywidgets
    from jupyterlab_widgets import __file__ as lab_widgets_file  # noqa: F401

    if not ipywidgets.__version__.startswith("8"):
        raise RuntimeError(f"ipywidgets {ipywidgets.__version__} found; the lessons need 8.x.")
    ipywidgets.IntSlider(value=1)  # the widget model can be created in this Python
    return f"ipywidgets {ipywidgets.__version__} with the JupyterLab extension, ipycanvas"


def check_training() -> str:
    import torch
    from torch import nn

    from .data import FastDataLoaderFNN
    from .device import select_device, set_seed
    from .fnn import FNN
    from .network_trainer import NetworkTrainer, sum_correct_preds

    set_seed(0)
    device = select_device()
    data = FastDataLoaderFNN(batch_size=64, device=device)
    model = FNN().to(device)
    trainer = NetworkTrainer(
        model, nn.CrossEntropyLoss(), torch.optim.Adam(model.parameters(), lr=1e-3),
        data.train_loader, data.val_loader, device, sum_correct_preds, progress=False,
    )
    start = time.perf_counter()
    history = trainer.train(1)
    seconds = time.perf_counter() - start
    if history.val_accuracy[-1] < 90:
        raise RuntimeError(
            f"One epoch reached only {history.val_accuracy[-1]:.1f}% validation accuracy "
            f"(expected > 90%): the installation computes wrong results; reinstall torch."
        )
    return f"one epoch on {device} in {seconds:.1f} s, validation accuracy {history.val_accuracy[-1]:.1f}%"


CHECKS: list[tuple[str, Callable[[], str]]] = [
    ("python", check_python),
    ("packages", check_versions),
    ("data", check_data),
    ("widgets", check_widgets),
    ("training", check_training),
]


def main() -> int:
    problems = 0
    for name, check in CHECKS:
        try:
            print(f"[ OK ] {name}: {check()}", flush=True)
        except Exception as err:  # report every problem, not just the first
            problems += 1
            print(f"[FAIL] {name}: {err}", flush=True)
    if problems:
        print(f"\n{problems} problem(s) found: fix them as said above, then run this again.")
        return 1
    print("\nOK: this machine is ready for the workshop.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
