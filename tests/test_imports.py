"""`import workshop_lib` stays light: the heavy packages load only where they are used."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ["torchvision", "matplotlib", "pandas", "ipywidgets", "seaborn", "PIL"]


def modules_after(statement: str) -> set[str]:
    """Top-level module names loaded in a fresh Python after running `statement`."""
    code = f"import json, sys; {statement}; print(json.dumps(sorted(sys.modules)))"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    return {name.split(".")[0] for name in json.loads(out.splitlines()[-1])}


def test_import_workshop_lib_leaves_the_heavy_packages_unloaded():
    loaded = modules_after("import workshop_lib; from workshop_lib import FastDataLoaderFNN, NetworkTrainer")
    assert "torch" in loaded and "workshop_lib" in loaded
    assert [name for name in HEAVY if name in loaded] == []


def test_the_heavy_packages_load_where_they_are_used():
    loaded = modules_after("from workshop_lib import DataLoaderFNN; DataLoaderFNN(subset_size=10)")
    assert "torchvision" in loaded and "matplotlib" not in loaded  # its transforms, on first use
