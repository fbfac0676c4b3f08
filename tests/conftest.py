import os
import shutil
from pathlib import Path

import pytest
import torch

from workshop_lib.data import DATA_ROOT, ensure_mnist


@pytest.fixture(scope="session")
def mnist_root() -> Path:
    """The project's verified MNIST folder."""
    ensure_mnist(DATA_ROOT)
    return DATA_ROOT


@pytest.fixture
def mnist_copy(tmp_path, mnist_root) -> Path:
    """A private copy of the .gz files, free to damage."""
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for gz in (mnist_root / "MNIST" / "raw").glob("*.gz"):
        shutil.copy(gz, raw / gz.name)
    return tmp_path


@pytest.fixture
def tiny_data():
    """A fixed 10-sample, 784-feature, 10-class dataset."""
    g = torch.Generator().manual_seed(0)
    return torch.rand(10, 784, generator=g), torch.randint(0, 10, (10,), generator=g)


@pytest.fixture(scope="session", autouse=True)
def fresh_answer_store(tmp_path_factory):
    """Learners' answers go to a fresh folder: no run ever sees answers saved by an earlier one."""
    previous = os.environ.get("WORKSHOP_ANSWERS_DIR")
    os.environ["WORKSHOP_ANSWERS_DIR"] = str(tmp_path_factory.mktemp("answers"))
    yield Path(os.environ["WORKSHOP_ANSWERS_DIR"])
    if previous is None:
        del os.environ["WORKSHOP_ANSWERS_DIR"]
    else:
        os.environ["WORKSHOP_ANSWERS_DIR"] = previous
