"""MNIST, offline first: the four files shipped inside the package, checked, loaded two ways."""

from __future__ import annotations

import gzip
import hashlib
import os
import zlib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import torch
from torch.utils.data import DataLoader, Dataset, Subset

# The four original MNIST files, gzip-compressed, travel inside the package (workshop_lib/mnist/):
# a regular install from a wheel has them, and they are only ever read, never written.
DATA_ROOT = Path(str(resources.files("workshop_lib") / "mnist"))
MNIST_DIR_VARIABLE = "WORKSHOP_MNIST_DIR"  # a folder with the four files, instead of the package's
IMAGE_SIZE = 28 * 28
NUM_CLASSES = 10

# MD5 of each *uncompressed* file of the original MNIST release.
MNIST_MD5 = {
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}
RESTORE = (
    "restore the workshop's copy: `git checkout -- workshop_lib/mnist` in a clone, or reinstall the "
    "package (`pip install --force-reinstall --no-deps` with the wheel or folder it came from)"
)


class MNISTDataError(RuntimeError):
    """An MNIST file is missing, truncated or altered; `fix` says what to do (also in the message)."""

    def __init__(self, problem: str, fix: str):
        super().__init__(f"{problem} To fix it, {fix}.")
        self.fix = fix


def mnist_dir(root: Path | str | None = None) -> Path:
    """The folder the files are read from: `root`, else $WORKSHOP_MNIST_DIR, else the package's.

    A folder laid out as torchvision downloads it (`root/MNIST/raw/`) is accepted as well.
    """
    if root is None:
        root = os.environ.get(MNIST_DIR_VARIABLE) or DATA_ROOT
    root = Path(root).expanduser()
    nested = root / "MNIST" / "raw"
    return nested if nested.is_dir() else root


def file_md5(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _fix(folder: Path) -> str:
    """What to do about a bad file in `folder`."""
    if folder == DATA_ROOT:
        return RESTORE
    return (
        f"copy the original file into {folder} (the workshop ships all four in {DATA_ROOT}), or "
        f"leave out `root` and unset {MNIST_DIR_VARIABLE} to read the shipped ones"
    )


def _source(folder: Path, name: str) -> Path:
    """The file to read for `name`: the .gz if present, else the uncompressed file."""
    for path in (folder / f"{name}.gz", folder / name):
        if path.is_file():
            return path
    if folder.exists() and not folder.is_dir():
        raise MNISTDataError(
            f"{folder} is a file, but MNIST is read from a folder.",
            f"point `root` or {MNIST_DIR_VARIABLE} at the folder that holds the four MNIST .gz files",
        )
    missing = [n for n in MNIST_MD5 if not (folder / f"{n}.gz").is_file() and not (folder / n).is_file()]
    raise MNISTDataError(
        f"MNIST files are missing in {folder}: {', '.join(m + '.gz' for m in missing)}.",
        f"put the four original MNIST .gz files there, or {_fix(folder)}",
    )


def _read(path: Path, name: str) -> bytes:
    """The uncompressed content of `path`, checked against the original file's MD5."""
    raw = path.read_bytes()
    if path.suffix == ".gz":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as err:  # gzip.BadGzipFile is an OSError
            raise MNISTDataError(
                f"{path} is not a valid gzip file ({err}): it is truncated or damaged.", _fix(path.parent)
            ) from err
    if hashlib.md5(raw).hexdigest() != MNIST_MD5[name]:
        raise MNISTDataError(
            f"{path} holds the wrong content (its MD5 differs from the original MNIST {name}): "
            f"the file was altered or damaged.", _fix(path.parent),
        )
    return raw


def _idx_tensor(raw: bytes) -> torch.Tensor:
    """An IDX file (big-endian header: magic, then one int32 per dimension) as a uint8 tensor."""
    ndim = raw[3]  # 1 for labels [N], 3 for images [N, 28, 28]
    shape = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    return torch.frombuffer(bytearray(raw[4 + 4 * ndim :]), dtype=torch.uint8).view(*shape)


@lru_cache(maxsize=8)
def _load(path: str, name: str, size: int, mtime_ns: int) -> torch.Tensor:
    """Read, check and parse one file; cached per process while the file stays unchanged."""
    return _idx_tensor(_read(Path(path), name))


def _tensor(folder: Path, name: str) -> torch.Tensor:
    path = _source(folder, name)
    stat = path.stat()
    return _load(str(path.resolve()), name, stat.st_size, stat.st_mtime_ns)


def ensure_mnist(root: Path | str | None = None) -> Path:
    """Check all four files (MD5 of the uncompressed content) and return their folder."""
    folder = mnist_dir(root)
    for name in MNIST_MD5:
        _tensor(folder, name)
    return folder


def _uint8_images(root: Path | str | None, train: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """`[N, 28, 28]` uint8 images and `[N]` int64 labels, read once per process."""
    folder, prefix = mnist_dir(root), "train" if train else "t10k"
    images = _tensor(folder, f"{prefix}-images-idx3-ubyte")
    labels = _tensor(folder, f"{prefix}-labels-idx1-ubyte")
    return images, labels.long()


class MNIST(Dataset):
    """MNIST as torchvision's `datasets.MNIST` gives it: `(PIL image, label)` items, `.data`, `.targets`."""

    classes = [f"{d} - {w}" for d, w in enumerate(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    )]

    def __init__(self, train: bool, root: Path | str | None = None, transform=None, target_transform=None):
        self.train, self.transform, self.target_transform = train, transform, target_transform
        self.data, self.targets = _uint8_images(root, train)  # [N, 28, 28] uint8, [N] int64

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int):
        from PIL import Image

        image = Image.fromarray(self.data[index].numpy())  # [28, 28] uint8 -> mode "L", as torchvision
        target = int(self.targets[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target


def mnist_dataset(train: bool, root: Path | str | None = None, transform=None) -> MNIST:
    """The training (60,000) or test (10,000) images, verified, as torchvision's MNIST yields them."""
    return MNIST(train, root, transform)


def mean_std(images: torch.Tensor) -> tuple[float, float]:
    """Mean and standard deviation of all pixels of uint8 images `[N, 28, 28]`, scaled to [0, 1]."""
    pixels = images.to(torch.float64, copy=True).div_(255)  # a copy: the input stays as it is
    return pixels.mean().item(), pixels.std().item()


@lru_cache(maxsize=4)
def _mean_std(folder: Path) -> tuple[float, float]:
    return mean_std(_uint8_images(folder, True)[0])


def mnist_mean_std(root: Path | str | None = None) -> tuple[float, float]:
    """Mean and standard deviation of the 60,000 training pixels, scaled to [0, 1]."""
    return _mean_std(mnist_dir(root))


def _whole(value, name: str, low: int, example: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be a whole number (e.g. {example}), got {value!r}.")
    if value < low:
        raise ValueError(f"{name} must be at least {low} (e.g. {example}), got {value}.")


def check_loader_arguments(batch_size, validation_ratio, normalize, seed, subset_size, root) -> None:
    """Raise a clear TypeError/ValueError for a loader argument before any data is read."""
    _whole(batch_size, "batch_size", 1, "64")
    if not isinstance(validation_ratio, (int, float)) or isinstance(validation_ratio, bool):
        raise TypeError(f"validation_ratio must be a number in [0, 1) (e.g. 0.1), got {validation_ratio!r}.")
    if not 0.0 <= validation_ratio < 1.0:  # also refuses NaN
        raise ValueError(f"validation_ratio must be in [0, 1) (e.g. 0.1), got {validation_ratio}.")
    if not isinstance(normalize, bool):
        raise TypeError(f"normalize must be True or False, got {normalize!r}.")
    _whole(seed, "seed", 0, "0")
    if subset_size is not None:
        _whole(subset_size, "subset_size", 1, "1000, or None for all images")
    if root is not None and not isinstance(root, (str, os.PathLike)):
        raise TypeError(f"root must be a folder path or None, got {type(root).__name__}.")


def split_indices(n: int, validation_ratio: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A seeded random split of range(n) into (train, validation) indices."""
    _whole(n, "n", 1, "60000")
    if not 0.0 <= validation_ratio < 1.0:
        raise ValueError(f"validation_ratio must be in [0, 1), got {validation_ratio}.")
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    n_val = int(round(n * validation_ratio))
    if n - n_val < 1 or (validation_ratio > 0 and n_val < 1):
        raise ValueError(
            f"A validation_ratio of {validation_ratio} splits {n} images into {n - n_val} for training and "
            f"{n_val} for validation: both need at least one. Use more images (subset_size) or another ratio."
        )
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
        root: Path | str | None = None,
        num_workers: int = 0,
    ):
        from torchvision import transforms  # imported here: `import workshop_lib` stays light

        check_loader_arguments(batch_size, validation_ratio, normalize, seed, subset_size, root)
        _whole(num_workers, "num_workers", 0, "0")
        self.config = _Config(batch_size, validation_ratio, normalize, seed, subset_size, mnist_dir(root))
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
        if not isinstance(images, torch.Tensor) or not isinstance(labels, torch.Tensor):
            raise TypeError(f"images and labels must be tensors, got {type(images).__name__} and "
                            f"{type(labels).__name__}.")
        if labels.dim() != 1 or labels.is_floating_point() or labels.dtype == torch.bool:
            raise ValueError(f"labels must be a 1-D tensor of integer classes [N], got {labels.dtype} "
                             f"{list(labels.shape)}: use labels.long().")
        _whole(batch_size, "batch_size", 1, "64")
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
        root: Path | str | None = None,
        device: torch.device | str = "cpu",
        batch_transform=None,
    ):
        check_loader_arguments(batch_size, validation_ratio, normalize, seed, subset_size, root)
        if batch_transform is not None and not callable(batch_transform):
            raise TypeError(f"batch_transform must be a function of a batch (e.g. RandomAffine()), got "
                            f"{batch_transform!r}.")
        try:
            device = torch.device(device)
        except (RuntimeError, TypeError) as err:
            raise ValueError(f"Unknown device {device!r}: use 'cpu', 'cuda' or select_device().") from err
        self.config = _Config(batch_size, validation_ratio, normalize, seed, subset_size, mnist_dir(root))
        mean, std = mnist_mean_std(root) if normalize else (0.0, 1.0)

        def prepare(images: torch.Tensor) -> torch.Tensor:
            flat = images.reshape(len(images), IMAGE_SIZE).to(device)  # [N, 784] uint8
            return flat.float().div_(255).sub_(mean).div_(std)

        pool_x, pool_y = _uint8_images(root, True)
        test_x, test_y = _uint8_images(root, False)
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
