"""The evening-before check: is this machine ready for the workshop, and what to fix if not.

    python -m workshop_lib.preflight          (in the workshop's environment)
    python workshop_lib/preflight.py          (works on any Python, even before the install)

It checks Python, the packages, free disk and memory, the MNIST files, the widgets' front end (it
shows one in JupyterLab in headless Chromium where Playwright and Chromium are installed, and
writes a one-cell notebook to open by hand everywhere), and times one training epoch to say how long
lesson 03 will take here. Every fix is a plain command
(no `make`, Windows included). The last line sums it all up, to paste into the workshop's form.
Only the standard library is imported at the top, so that it runs (and says what is wrong) anywhere.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata as md
import json
import os
import shutil
import sys
import time
from functools import partial
from pathlib import Path

MIN_PYTHON = (3, 10)
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
# What the lessons write (checkpoints, executed notebooks, the learner's answers) with room to spare.
MIN_FREE_DISK_GB = 1.0
# A JupyterLab server, one lesson's kernel (PyTorch, MNIST as tensors: ~1 GB) and the browser tab.
MIN_AVAILABLE_RAM_GB = 2.0
# Lesson 03 trains 12 epochs with seed 0 and again with each of 2 neighbour seeds (its parameters cell).
LESSON03_EPOCHS = 12 * 3
# The JupyterLab front-end extensions the widgets need (in <env>/share/jupyter/labextensions).
LAB_EXTENSIONS = {"ipywidgets": "@jupyter-widgets/jupyterlab-manager", "ipycanvas": "ipycanvas"}
WIDGET_NOTEBOOK = "preflight_widgets.ipynb"

FIX_INSTALL = ("in the workshop folder, with the workshop's environment active, run "
               "`python -m pip install -c constraints.txt -e .`")
FIX_PYTHON = (
    "install Python 3.11, the version the workshop is tested with (python.org for Windows and macOS, "
    "your package manager on Linux), then in the workshop folder make a fresh environment: "
    "`py -3.11 -m venv .venv` on Windows (`python3.11 -m venv .venv` elsewhere), activate it "
    "(`.venv\\Scripts\\activate` on Windows, `source .venv/bin/activate` elsewhere) and run "
    "`python -m pip install -c constraints.txt -e .`"
)
FIX_TORCH = "run `python -m pip install --force-reinstall -c constraints.txt torch torchvision`"
FIX_WIDGETS = (
    "run `python -m pip install --upgrade ipywidgets jupyterlab_widgets ipycanvas` in the environment "
    "that runs JupyterLab, then stop and start JupyterLab (on a JupyterHub: ask its admin to install "
    "them into the server's environment)"
)


class Problem(RuntimeError):
    """What is wrong, and the command that fixes it."""

    def __init__(self, message: str, fix: str):
        super().__init__(message)
        self.fix = fix


def _version_tuple(v: str) -> tuple[int, ...]:
    parts = []
    for piece in v.split("+")[0].split("."):
        digits = "".join(c for c in piece if c.isdigit())
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


def _lib(module: str):
    """A module of this package, also when this file runs as a plain script."""
    root = str(Path(__file__).resolve().parents[1])
    if not __package__ and root not in sys.path:
        sys.path.insert(0, root)
    return importlib.import_module(f"workshop_lib.{module}")


def check_python(facts: dict, version_info=sys.version_info) -> str:
    version = ".".join(map(str, tuple(version_info)[:3]))
    facts["python"] = version
    if tuple(version_info)[:2] < MIN_PYTHON:
        raise Problem(f"Python {version} is too old: the workshop needs Python 3.10 or newer.", FIX_PYTHON)
    return f"Python {version} (3.10 or newer needed)"


def check_versions(facts: dict) -> str:
    found = []
    for package, minimum in MIN_VERSIONS.items():
        try:
            version = md.version(package)
        except md.PackageNotFoundError:
            raise Problem(f"{package} is not installed.", FIX_INSTALL) from None
        if package == "torch":
            facts["torch"] = version
        if _version_tuple(version) < _version_tuple(minimum):
            raise Problem(f"{package} {version} is older than {minimum}.", FIX_INSTALL)
        found.append(f"{package} {version}")
    try:
        importlib.import_module("torchvision")  # a mismatched torch/torchvision pair fails here
    except Exception as err:
        raise Problem(f"torchvision does not load with this torch ({err}).", FIX_TORCH) from None
    return ", ".join(found)


def free_disk_bytes(folder: Path) -> int:
    return shutil.disk_usage(folder).free


def available_memory_bytes() -> int | None:
    """Memory available to new programs, None where it cannot be told."""
    try:
        import psutil  # installed with ipykernel

        return int(psutil.virtual_memory().available)
    except Exception:
        return None


def _gb(n_bytes: int) -> str:
    return f"{n_bytes / 1e9:.1f}GB"


def check_disk(facts: dict, folder: Path | None = None) -> str:
    folder = Path.cwd() if folder is None else folder
    free = free_disk_bytes(folder)
    facts["disk"] = _gb(free)
    if free < MIN_FREE_DISK_GB * 1e9:
        raise Problem(
            f"only {_gb(free)} free on the disk of {folder}; the lessons need {MIN_FREE_DISK_GB:.0f} GB "
            f"(MNIST, checkpoints, notebooks' outputs).",
            f"free at least {MIN_FREE_DISK_GB:.0f} GB there (empty the recycle bin or trash, delete "
            f"large downloads), or move the workshop folder to a disk with room",
        )
    return f"{_gb(free)} free in {folder} ({MIN_FREE_DISK_GB:.0f} GB needed)"


def check_memory(facts: dict) -> str:
    available = available_memory_bytes()
    if available is None:
        facts["ram"] = "?"
        return f"could not be measured here; the lessons need about {MIN_AVAILABLE_RAM_GB:.0f} GB free"
    facts["ram"] = _gb(available)
    if available < MIN_AVAILABLE_RAM_GB * 1e9:
        raise Problem(
            f"only {_gb(available)} of memory available; a lesson needs about "
            f"{MIN_AVAILABLE_RAM_GB:.0f} GB (JupyterLab, the kernel with PyTorch and MNIST, the browser).",
            "close other programs and browser tabs, then run this again; or use the workshop's JupyterHub",
        )
    return f"{_gb(available)} available ({MIN_AVAILABLE_RAM_GB:.0f} GB needed)"


def check_data(facts: dict) -> str:
    data = _lib("data")
    folder = data.ensure_mnist()
    sizes = len(data.mnist_dataset(True)), len(data.mnist_dataset(False))
    if sizes != (60_000, 10_000):
        raise Problem(f"MNIST has {sizes} images, expected (60000, 10000).",
                      data.RESTORE)
    facts["mnist"] = "ok"
    return f"MNIST verified (MD5) in {folder}: 60000 train, 10000 test images"


def lab_extensions_missing() -> list[str]:
    """The widget front-end extensions JupyterLab would not find, by package name."""
    from jupyter_core.paths import jupyter_path

    folders = [Path(p) for p in jupyter_path("labextensions")]
    return [package for package, name in LAB_EXTENSIONS.items()
            if not any((folder / name / "package.json").is_file() for folder in folders)]


def widget_notebook() -> dict:
    """A one-cell notebook that shows a slider and a green canvas when widgets render."""
    markdown = (
        "# Do the widgets render?\n\nRun the cell below. **Widgets work** if you see the text, a slider and "
        "a green square. If you see *Error displaying widget*, *Loading widget...* that never ends, or "
        "text such as `VBox(children=...)`, the front end lacks the widget extension: "
        f"{FIX_WIDGETS}."
    )
    code = (
        "import ipywidgets as widgets\nfrom ipycanvas import Canvas\n\n"
        "square = Canvas(width=60, height=60)\nsquare.fill_style = 'seagreen'\n"
        "square.fill_rect(0, 0, 60, 60)\n"
        "text = widgets.HTML(\"<b class='preflight-ok'>Widgets work.</b> Move the slider.\")\n"
        "widgets.VBox([text, widgets.IntSlider(value=3, max=9, description='slider'), square])"
    )
    cell = lambda kind, source, **extra: {  # noqa: E731
        "cell_type": kind, "id": f"preflight-{kind}", "metadata": {}, "source": source, **extra}
    return {
        "cells": [cell("markdown", markdown), cell("code", code, execution_count=None, outputs=[])],
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def render_in_browser(notebook: Path, chromium: str, seconds: float = 120) -> None:
    """Run `notebook` in a private JupyterLab in headless Chromium; raises unless its widgets show."""
    from playwright.sync_api import sync_playwright

    lab = _lib("lab_server")
    with lab.private_lab(notebook) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=lab.CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.set_default_timeout(seconds * 1000)
            page.goto(url)
            page.wait_for_function(lab.KERNEL_READY, polling=250)
            page.evaluate(lab.RUN_ALL)
            try:
                for css in (".preflight-ok", ".widget-slider", ".jp-OutputArea canvas"):
                    page.locator(css).first.wait_for(state="visible")
            except Exception:
                output = page.locator(".jp-OutputArea").last.inner_text()[-300:]
                raise Problem(f"the widgets did not show in JupyterLab within {seconds:.0f} s; the cell's "
                              f"output was: {output!r}", FIX_WIDGETS) from None
        finally:
            browser.close()


def can_render() -> str | None:
    """Chromium's path when this machine can show a widget to itself (Playwright, POSIX), else None."""
    try:
        importlib.import_module("playwright.sync_api")
    except ImportError:
        return None
    return _lib("lab_server").find_chromium() if os.name == "posix" else None


def check_widgets(facts: dict, folder: Path | None = None, render: bool = True) -> str:
    try:
        import ipycanvas  # noqa: F401
        import ipywidgets
    except ImportError as err:
        facts["widgets"] = "missing"
        raise Problem(f"{err.name} is not installed.", FIX_WIDGETS) from None
    if not ipywidgets.__version__.startswith("8"):
        facts["widgets"] = "old"
        raise Problem(f"ipywidgets {ipywidgets.__version__} found; the lessons need 8.x.", FIX_WIDGETS)
    ipywidgets.IntSlider(value=1)  # the widget model can be created in this Python
    missing = lab_extensions_missing()
    if missing:
        facts["widgets"] = "no-frontend"
        raise Problem(f"JupyterLab would not show {', '.join(missing)} widgets: their front-end "
                      f"extension is not installed where JupyterLab looks.", FIX_WIDGETS)
    folder = Path.cwd() if folder is None else folder
    notebook = folder / WIDGET_NOTEBOOK
    notebook.write_text(json.dumps(widget_notebook(), indent=1) + "\n")
    installed = f"ipywidgets {ipywidgets.__version__} and ipycanvas with their JupyterLab extensions"
    chromium = can_render() if render else None
    if chromium:
        facts["widgets"] = "render-failed"
        render_in_browser(notebook, chromium)
        facts["widgets"] = "rendered"
        return f"{installed}; a slider and a canvas rendered in JupyterLab in headless Chromium ({chromium})"
    facts["widgets"] = "installed"
    return (
        f"{installed}. To see one render, run `python -m jupyterlab {notebook.name}` in {folder} (it "
        f"opens {notebook.name}) and run its cell: you should see \"Widgets work.\", a slider and a "
        f"green square"
    )


def check_training(facts: dict) -> str:
    """One epoch of lesson 03's training, timed: how long the lesson takes on this machine."""
    from torch import nn

    data, device, fnn, trainer, optim = (_lib(m) for m in
                                         ("data", "device", "fnn", "network_trainer", "optim"))
    device.set_seed(0)
    where = device.select_device()
    facts["device"] = where.type
    loaders = data.FastDataLoaderFNN(batch_size=64, device=where)
    model = fnn.FNN(784, 256, 256, 10).to(where)
    run = trainer.NetworkTrainer(model, nn.CrossEntropyLoss(), optim.make_adam(model.parameters(), lr=1e-3),
                                 loaders.train_loader, loaders.val_loader, where,
                                 trainer.sum_correct_preds, progress=False)
    start = time.perf_counter()
    history = run.train(1)
    seconds = time.perf_counter() - start
    facts["epoch"] = f"{seconds:.1f}s"
    minutes = LESSON03_EPOCHS * seconds / 60
    facts["lesson03"] = f"~{max(1, round(minutes))}min"
    if history.val_accuracy[-1] < 90:
        raise Problem(
            f"one epoch reached only {history.val_accuracy[-1]:.1f}% validation accuracy (expected > 90%): "
            f"this PyTorch computes wrong results.",
            FIX_TORCH,
        )
    return (
        f"one epoch on {where} in {seconds:.1f} s (validation accuracy {history.val_accuracy[-1]:.1f}%): "
        f"lesson 03 trains {LESSON03_EPOCHS} epochs, about {max(1, round(minutes))} min of training here"
    )


CHECKS = [
    ("python", check_python),
    ("packages", check_versions),
    ("disk", check_disk),
    ("memory", check_memory),
    ("data", check_data),
    ("widgets", check_widgets),
    ("training", check_training),
]
NEEDS_PYTHON = {"packages", "data", "widgets", "training"}  # these import the library
SUMMARY_KEYS = ["python", "torch", "device", "epoch", "lesson03", "disk", "ram", "widgets"]


def _installed(package: str) -> str:
    try:
        return md.version(package)
    except md.PackageNotFoundError:
        return "missing"


def summary_line(facts: dict, failed: list[str]) -> str:
    """One line to paste into the workshop's form: `PREFLIGHT OK key=value ...` or `PREFLIGHT FAIL[...]`."""
    verdict = "OK" if not failed else f"FAIL[{','.join(failed)}]"
    fields = " ".join(f"{key}={str(facts.get(key, '?')).replace(' ', '_')}" for key in SUMMARY_KEYS)
    return f"PREFLIGHT {verdict} {fields} os={sys.platform}"


def main(argv: list[str] | None = None, checks=None) -> int:
    parser = argparse.ArgumentParser(description="Check that this machine is ready for the workshop.")
    parser.add_argument("--skip-training", action="store_true",
                        help="do not time a training epoch (no estimate for lesson 03)")
    parser.add_argument("--no-render", action="store_true",
                        help="do not open JupyterLab in headless Chromium to see a widget render")
    args = parser.parse_args(argv)
    checks = CHECKS if checks is None else checks
    checks = [(name, partial(check_widgets, render=not args.no_render) if check is check_widgets else check)
              for name, check in checks]
    facts: dict = {"python": ".".join(map(str, sys.version_info[:3])), "torch": _installed("torch")}
    failed: list[str] = []
    fixes: list[str] = []
    for name, check in checks:
        if name == "training" and args.skip_training:
            print(f"[SKIP] {name}: --skip-training", flush=True)
            facts.setdefault("epoch", "skipped")
            continue
        if name in NEEDS_PYTHON and "python" in failed:
            print(f"[SKIP] {name}: needs Python 3.10 or newer first", flush=True)
            continue
        try:
            print(f"[ OK ] {name}: {check(facts)}", flush=True)
        except Exception as err:  # report every problem, not just the first
            failed.append(name)
            fix = getattr(err, "fix", FIX_INSTALL)
            print(f"[FAIL] {name}: {err}\n       fix: {fix}", flush=True)
            fixes.append(f"{name}: {fix}")
    if failed:
        print(f"\n{len(failed)} problem(s) found; fix them as said above, then run this again:")
        for fix in fixes:
            print(f"  - {fix}")
    else:
        print("\nThis machine is ready for the workshop.")
    print("Paste this line into the workshop's form:")
    print(summary_line(facts, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
