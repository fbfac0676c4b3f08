"""What a checkpoint can rebuild is listed in one place and does not depend on what else was imported."""

import subprocess
import sys
from pathlib import Path

import pytest
import torch

from workshop_lib.architectures import ARCHITECTURES, build_from_config
from workshop_lib.fnn import FNN
from workshop_lib.layers import DeepFNN
from workshop_lib.network_user import NetworkUser

ROOT = Path(__file__).resolve().parent.parent

# Imports `workshop_lib.network_user` without running the package's `__init__` (which imports
# every module): the checkpoint must load through what network_user itself imports.
LOAD_ALONE = """
import sys, types
package = types.ModuleType("workshop_lib")
package.__path__ = [sys.argv[1] + "/workshop_lib"]
sys.modules["workshop_lib"] = package
from workshop_lib.network_user import NetworkUser
model = NetworkUser.load(sys.argv[2]).model
assert "workshop_lib.layers" in sys.modules
print(type(model).__name__, model.config["layers"])
"""


def test_every_architecture_is_listed_by_the_name_its_config_carries():
    assert ARCHITECTURES == {"FNN": FNN, "DeepFNN": DeepFNN}
    for model in (FNN(hidden1=8, hidden2=4), DeepFNN([8, 4, 2])):
        assert ARCHITECTURES[model.config["architecture"]] is type(model)
        assert str(build_from_config(model.config)) == str(model)


def test_an_unknown_architecture_names_the_known_ones():
    with pytest.raises(ValueError, match=r"Unknown architecture 'CNN'.*\['DeepFNN', 'FNN'\]"):
        build_from_config({"architecture": "CNN"})


def test_a_deep_checkpoint_loads_in_a_fresh_process_that_imports_only_network_user(tmp_path):
    torch.manual_seed(0)
    path = NetworkUser(DeepFNN([16, 8, 4])).save(tmp_path / "deep.pt")
    done = subprocess.run([sys.executable, "-c", LOAD_ALONE, str(ROOT), str(path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("DeepFNN [{'size': 16,")
