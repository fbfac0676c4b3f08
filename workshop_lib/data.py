"""MNIST, offline first: the committed .gz files, checked, loaded two ways with one interface."""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import torch
from torch.utils.data import DataLoader, Subset
from torchvision import datasets, transforms

DATA_ROOT = Path(__file__).resolve().parent.parent / "data"
IMAGE_SIZE = 28 * 28
NUM_CLASSES = 10

# MD5 of each *uncompressed* file of the original MNIST release.
MNIST_MD5 = {
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}


class MNISTDataError(RuntimeError):
    """An MNIST file is missing, truncated or altered."""


def raw_dir(root: Path | str = DATA_ROOT) -> Path:
    return Path(root) / "MNIST" / "raw"


def file_md5(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# Files this process has already hashed, by (path, size, mtime): every loader checks the data,
# and re-hashing 55 MB each time would add I/O to every loader a lesson builds.
_VERIFIED: set[tuple[str, int, int]] = set()


def _has_md5(path: Path, expected: str) -> bool:
    """Whether `path` exists with MD5 `expected`; hashed once per process unless the file changes."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return False
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key in _VERIFIED:
        return True
    if file_md5(path) != expected:
        return False
    _VERIFIED.add(key)
    return True


def _decompress(gz_path: Path, target: Path) -> None:
    """Decompress atomically: a crash never leaves a half-written file under the final name."""
    # A unique temporary name: notebooks running side by side may decompress at the same time.
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".partial")
    tmp = Path(tmp_name)
    try:
        with gzip.open(gz_path, "rb") as src, os.fdopen(fd, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
    except (OSError, EOFError) as err:  # gzip.BadGzipFile is an OSError
        tmp.unlink(missing_ok=True)
        raise MNISTDataError(
            f"{gz_path} is not a valid gzip file ({err}). It is truncated or damaged: restore it "
            f"with `git checkout -- {_shown(gz_path)}` or copy the original MNIST file there."
        ) from err
    os.replace(tmp, target)


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _try_download(root: Path) -> bool:
    """torchvision's own download, for a machine that has the internet but lost the files."""
    try:
        datasets.MNIST(str(root), train=True, download=True)
        datasets.MNIST(str(root), train=False, download=True)
    except Exception:  # offline, host down: the caller explains where to put the files
        return False
    return True


def ensure_mnist(root: Path | str = DATA_ROOT, allow_download: bool = True) -> Path:
    """Decompress the committed .gz files on first use and verify every file's MD5."""
    root = Path(root)
    folder = raw_dir(root)
    folder.mkdir(parents=True, exist_ok=True)
    missing = [n for n in MNIST_MD5 if not (folder / n).exists() and not (folder / f"{n}.gz").exists()]
    if missing and not (allow_download and _try_download(root)):
        raise MNISTDataError(
            f"MNIST files are missing: {', '.join(m + '.gz' for m in missing)}. "
            f"Put the four original MNIST .gz files into {folder} (they are committed in the "
            f"project: `git checkout -- data/MNIST/raw`), or connect to the internet once so "
            f"torchvision can download them."
        )
    for name, expected in MNIST_MD5.items():
        path, gz_path = folder / name, folder / f"{name}.gz"
        if _has_md5(path, expected):
            continue
        if gz_path.exists():
            _decompress(gz_path, path)
            if _has_md5(path, expected):
                continue
            path.unlink()
            raise MNISTDataError(
                f"{_shown(gz_path)} decompresses to the wrong content (MD5 differs from the "
                f"original MNIST {name}). The file was altered: restore it with "
                f"`git checkout -- {_shown(gz_path)}` or copy the original MNIST file there."
            )
        raise MNISTDataError(
            f"{_shown(path)} is damaged (MD5 {file_md5(path)}, expected {expected}) and there is "
            f"no {name}.gz to rebuild it from. Delete it and restore the .gz file."
        )
    return folder


def mnist_dataset(train: bool, root: Path | str = DATA_ROOT, transform=None) -> datasets.MNIST:
    """The torchvision dataset over the verified files; never downloads by itself."""
    ensure_mnist(root)
    return datasets.MNIST(str(root), train=train, download=False, transform=transform)


@lru_cache(maxsize=4)
def _uint8_images(root: str, train: bool) -> tuple[torch.Tensor, torch.Tensor]:
    ds = mnist_dataset(train, root)
    return ds.data, ds.targets  # [N, 28, 28] uint8, [N] int64


def mean_std(images: torch.Tensor) -> tuple[float, float]:
    """Mean and standard deviation of all pixels of uint8 images `[N, 28, 28]`, scaled to [0, 1]."""
    pixels = images.to(torch.float64, copy=True).div_(255)  # a copy: the input stays as it is
    return pixels.mean().item(), pixels.std().item()


@lru_cache(maxsize=4)
def mnist_mean_std(root: Path | str = DATA_ROOT) -> tuple[float, float]:
    """Mean and standard deviation of the 60,000 training pixels, scaled to [0, 1]."""
    images, _ = _uint8_images(str(root), True)
    return mean_std(images)


def split_indices(n: int, validation_ratio: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A seeded random split of range(n) into (train, validation) indices."""
    if not 0.0 <= validation_ratio < 1.0:
        raise ValueError(f"validation_ratio must be in [0, 1), got {validation_ratio}.")
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    n_val = int(round(n * validation_ratio))
    return order[n_val:], order[:n_val]


@dataclass
class _Config:
    batch_size: int
    validation_ratio: float
    normalize: bool
    seed: int
    subset_size: int | None
    root: Path


def _limits(subset_size: int | None, n: int) -> int:
    if subset_size is None:
        return n
    if subset_size <= 0:
        raise ValueError(f"subset_size must be positive or None, got {subset_size}.")
    return min(subset_size, n)


class DataLoaderFNN:
    """The torchvision path the lessons teach: train/validation/test loaders of flat images.

    Batches are `x: [B, 784]` float and `y: [B]` int64. `subset_size` caps the number of
    training-pool and test images (small runs in CI); the split is seeded, so it repeats.
    """

    def __init__(
        self,
        batch_size: int = 64,
        validation_ratio: float = 0.1,
        normalize: bool = False,
        seed: int = 0,
        subset_size: int | None = None,
        root: Path | str = DATA_ROOT,
        num_workers: int = 0,
    ):
        self.config = _Config(batch_size, validation_ratio, normalize, seed, subset_size, Path(root))
        steps = [transforms.ToTensor()]  # [1, 28, 28] float in [0, 1]
        if normalize:
            mean, std = mnist_mean_std(root)
            steps.append(transforms.Normalize((mean,), (std,)))
        steps.append(transforms.Lambda(torch.flatten))  # [1, 28, 28] -> [784]
        self.transform = transforms.Compose(steps)

        pool = mnist_dataset(True, root, self.transform)
        test = mnist_dataset(False, root, self.transform)
        train_idx, val_idx = split_indices(_limits(subset_size, len(pool)), validation_ratio, seed)
        test_idx = torch.arange(_limits(subset_size, len(test)))
        shuffler = torch.Generator().manual_seed(seed)
        kwargs = dict(batch_size=batch_size, num_workers=num_workers)
        self.train_loader = DataLoader(
            Subset(pool, train_idx.tolist()), shuffle=True, generator=shuffler, **kwargs
        )
        self.val_loader = DataLoader(Subset(pool, val_idx.tolist()), **kwargs)
        self.test_loader = DataLoader(Subset(test, test_idx.tolist()), **kwargs)
        self.device = torch.device("cpu")  # where the batches live

    def reseed(self, seed: int) -> None:
        """Restart the training loader's shuffling from `seed`: the batch order of a fresh one."""
        self.train_loader.generator.manual_seed(seed)


class TensorBatchLoader:
    """Batches by indexing one preloaded tensor; reshuffled each epoch with `randperm`.

    Iterates like a DataLoader: yields `(x [B, 784], y [B])`, `len()` is the number of batches.
    An optional `batch_transform` (e.g. augmentation) is applied to each `x` batch.
    """

    def __init__(self, images, labels, batch_size, shuffle=False, seed=0, batch_transform=None):
        if len(images) != len(labels):
            raise ValueError(f"{len(images)} images but {len(labels)} labels.")
        self.images, self.labels = images, labels
        self.batch_size, self.shuffle = batch_size, shuffle
        self.batch_transform = batch_transform
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        return (len(self.labels) + self.batch_size - 1) // self.batch_size

    @property
    def device(self) -> torch.device:
        """Where the batches live."""
        return self.images.device

    def reseed(self, seed: int) -> None:
        """Restart the shuffling from `seed`: the batch order of a fresh loader with this seed."""
        self.generator.manual_seed(seed)

    def __iter__(self):
        n = len(self.labels)
        labels = self.labels
        if self.shuffle:
            order = torch.randperm(n, generator=self.generator).to(self.images.device)
            labels = self.labels.index_select(0, order)  # [N]: 8 bytes a label, one copy per epoch
        for start in range(0, n, self.batch_size):
            y = labels[start : start + self.batch_size]  # a view: no copy
            if self.shuffle:
                # the same rows as self.images[order[start:stop]], copied by one row-gather
                # kernel: about twice as fast on a CPU (benchmarks/bench_training.py)
                x = self.images.index_select(0, order[start : start + self.batch_size])
            else:  # contiguous slices are views: no copy
                x = self.images[start : start + self.batch_size]
            if self.batch_transform is not None:
                x = self.batch_transform(x)
            yield x, y

    @property
    def dataset(self):
        """What `len(loader.dataset)` gives for a DataLoader: the number of samples."""
        return self.labels


class FastDataLoaderFNN:
    """Same interface and split as `DataLoaderFNN`, held as tensors (on `device`) for speed."""

    def __init__(
        self,
        batch_size: int = 64,
        validation_ratio: float = 0.1,
        normalize: bool = False,
        seed: int = 0,
        subset_size: int | None = None,
        root: Path | str = DATA_ROOT,
        device: torch.device | str = "cpu",
        batch_transform=None,
    ):
        self.config = _Config(batch_size, validation_ratio, normalize, seed, subset_size, Path(root))
        mean, std = mnist_mean_std(root) if normalize else (0.0, 1.0)

        def prepare(images: torch.Tensor) -> torch.Tensor:
            flat = images.reshape(len(images), IMAGE_SIZE).to(device)  # [N, 784] uint8
            return flat.float().div_(255).sub_(mean).div_(std)

        pool_x, pool_y = _uint8_images(str(root), True)
        test_x, test_y = _uint8_images(str(root), False)
        n_pool, n_test = _limits(subset_size, len(pool_y)), _limits(subset_size, len(test_y))
        train_idx, val_idx = split_indices(n_pool, validation_ratio, seed)
        make = lambda x, y, shuffle, transform=None: TensorBatchLoader(  # noqa: E731
            prepare(x), y.to(device), batch_size, shuffle, seed, transform
        )
        self.train_loader = make(pool_x[train_idx], pool_y[train_idx], True, batch_transform)
        self.val_loader = make(pool_x[val_idx], pool_y[val_idx], False)
        self.test_loader = make(test_x[:n_test], test_y[:n_test], False)
        self.device = torch.device(device)  # where the batches live

    def reseed(self, seed: int) -> None:
        """Restart the training loader's shuffling from `seed`: the batch order of a fresh one."""
        self.train_loader.reseed(seed)
