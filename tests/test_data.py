import gzip

import pytest
import torch

from workshop_lib.data import (
    MNIST_MD5,
    DataLoaderFNN,
    FastDataLoaderFNN,
    MNISTDataError,
    TensorBatchLoader,
    ensure_mnist,
    file_md5,
    mnist_dataset,
    mnist_mean_std,
    split_indices,
)


def test_files_are_the_original_mnist(mnist_root):
    raw = mnist_root / "MNIST" / "raw"
    for name, md5 in MNIST_MD5.items():
        assert file_md5(raw / name) == md5
    train, test = mnist_dataset(True), mnist_dataset(False)
    assert train.targets[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert test.targets[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert torch.bincount(train.targets).tolist() == [
        5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949
    ]
    assert torch.bincount(test.targets).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_truncated_gz_is_reported_with_its_name_and_the_fix(mnist_copy):
    gz = mnist_copy / "MNIST" / "raw" / "t10k-labels-idx1-ubyte.gz"
    gz.write_bytes(gz.read_bytes()[:1000])
    with pytest.raises(MNISTDataError, match=r"t10k-labels-idx1-ubyte\.gz.*git checkout"):
        ensure_mnist(mnist_copy, allow_download=False)
    assert not (mnist_copy / "MNIST" / "raw" / "t10k-labels-idx1-ubyte").exists()


def test_altered_gz_is_reported_not_loaded(mnist_copy):
    gz = mnist_copy / "MNIST" / "raw" / "t10k-labels-idx1-ubyte.gz"
    content = bytearray(gzip.decompress(gz.read_bytes()))
    content[100] = (content[100] + 1) % 10  # one label changed: a silently wrong dataset
    gz.write_bytes(gzip.compress(bytes(content)))
    with pytest.raises(MNISTDataError, match="t10k-labels-idx1-ubyte.gz decompresses to the wrong"):
        ensure_mnist(mnist_copy, allow_download=False)


def test_damaged_decompressed_file_is_rebuilt_from_the_gz(mnist_copy):
    ensure_mnist(mnist_copy, allow_download=False)
    raw = mnist_copy / "MNIST" / "raw" / "train-labels-idx1-ubyte"
    raw.write_bytes(raw.read_bytes()[:500])
    ensure_mnist(mnist_copy, allow_download=False)
    assert file_md5(raw) == MNIST_MD5["train-labels-idx1-ubyte"]


def test_missing_files_offline_say_where_to_put_them(tmp_path):
    with pytest.raises(MNISTDataError, match=r"missing.*Put the four original MNIST \.gz files"):
        ensure_mnist(tmp_path, allow_download=False)


def test_mean_and_std_are_computed_from_the_training_images(mnist_root):
    mean, std = mnist_mean_std(mnist_root)
    assert mean == pytest.approx(0.1307, abs=1e-4)
    assert std == pytest.approx(0.3081, abs=1e-4)


@pytest.mark.parametrize("loader_class", [DataLoaderFNN, FastDataLoaderFNN])
def test_loaders_give_flat_float_batches_and_a_seeded_split(loader_class, mnist_root):
    data = loader_class(batch_size=32, validation_ratio=0.25, subset_size=400, seed=3)
    x, y = next(iter(data.train_loader))
    assert x.shape == (32, 784) and x.dtype == torch.float32
    assert y.shape == (32,) and y.dtype == torch.int64
    assert 0.0 <= x.min() and x.max() <= 1.0
    assert sum(len(b[1]) for b in data.train_loader) == 300
    assert sum(len(b[1]) for b in data.val_loader) == 100
    assert sum(len(b[1]) for b in data.test_loader) == 400


def test_both_paths_hold_the_same_split_and_pixels(mnist_root):
    slow = DataLoaderFNN(batch_size=50, subset_size=500, seed=7, normalize=True)
    fast = FastDataLoaderFNN(batch_size=50, subset_size=500, seed=7, normalize=True)
    for a, b in [(slow.val_loader, fast.val_loader), (slow.test_loader, fast.test_loader)]:
        xa, ya = map(torch.cat, zip(*a, strict=False))
        xb, yb = map(torch.cat, zip(*b, strict=False))
        assert torch.equal(ya, yb)
        torch.testing.assert_close(xa, xb)
    train_slow = torch.cat([y for _, y in slow.train_loader]).sort().values
    train_fast = torch.cat([y for _, y in fast.train_loader]).sort().values
    assert torch.equal(train_slow, train_fast)


def test_normalized_training_pixels_have_mean_zero_std_one(mnist_root):
    data = FastDataLoaderFNN(normalize=True, validation_ratio=0.0)
    x = data.train_loader.images
    assert x.mean().item() == pytest.approx(0.0, abs=1e-3)
    assert x.std().item() == pytest.approx(1.0, abs=1e-3)


def test_tensor_loader_reshuffles_every_epoch_and_covers_every_sample():
    loader = TensorBatchLoader(torch.arange(10.0).view(10, 1), torch.arange(10), 4, shuffle=True)
    epochs = [torch.cat([y for _, y in loader]) for _ in range(2)]
    assert len(loader) == 3
    assert all(sorted(e.tolist()) == list(range(10)) for e in epochs)
    assert not torch.equal(epochs[0], epochs[1])


def test_shuffled_batches_keep_each_image_with_its_label():
    images = torch.arange(100.0).view(50, 2)  # row i is [2i, 2i + 1]
    loader = TensorBatchLoader(images, torch.arange(50), 8, shuffle=True, seed=1)
    for x, y in loader:
        assert torch.equal(x, images[y])


def test_bad_split_ratio_is_refused():
    with pytest.raises(ValueError, match="validation_ratio"):
        FastDataLoaderFNN(validation_ratio=1.5)


def test_the_split_is_disjoint_complete_and_seeded():
    train, val = split_indices(100, 0.2, seed=0)
    assert len(train) == 80 and len(val) == 20
    assert set(train.tolist()).isdisjoint(val.tolist())
    assert sorted(train.tolist() + val.tolist()) == list(range(100))
    again_train, again_val = split_indices(100, 0.2, seed=0)
    assert torch.equal(train, again_train) and torch.equal(val, again_val)
    assert not torch.equal(val, split_indices(100, 0.2, seed=1)[1])


def test_the_torchvision_path_never_validates_on_a_training_image(mnist_root):
    data = DataLoaderFNN(batch_size=32, validation_ratio=0.25, subset_size=400, seed=3)
    train, val = data.train_loader.dataset.indices, data.val_loader.dataset.indices
    assert len(train) == 300 and len(val) == 100
    assert set(train).isdisjoint(val) and set(train) | set(val) == set(range(400))


def test_the_fast_path_holds_the_split_pixels_scaled_by_hand(mnist_root):
    data = FastDataLoaderFNN(batch_size=32, validation_ratio=0.25, subset_size=400, seed=3, normalize=True)
    raw = mnist_dataset(True, mnist_root).data[:400].reshape(400, 784).double() / 255  # [400, 784]
    mean, std = mnist_mean_std(mnist_root)
    train_idx, val_idx = split_indices(400, 0.25, seed=3)
    for loader, idx in ((data.train_loader, train_idx), (data.val_loader, val_idx)):
        torch.testing.assert_close(loader.images.double(), (raw[idx] - mean) / std, rtol=0, atol=1e-5)
    test_raw = mnist_dataset(False, mnist_root).data[:400].reshape(400, 784).double() / 255
    torch.testing.assert_close(data.test_loader.images.double(), (test_raw - mean) / std, rtol=0, atol=1e-5)


def test_the_fast_path_shuffles_training_batches_only(mnist_root):
    data = FastDataLoaderFNN(batch_size=32, subset_size=400, seed=0)
    train_order = torch.cat([y for _, y in data.train_loader])
    assert sorted(train_order.tolist()) == sorted(data.train_loader.labels.tolist())
    assert not torch.equal(train_order, data.train_loader.labels)
    for loader in (data.val_loader, data.test_loader):
        assert torch.equal(torch.cat([y for _, y in loader]), loader.labels)
        assert torch.equal(torch.cat([x for x, _ in loader]), loader.images)


def test_an_unshuffled_tensor_loader_gives_consecutive_slices_with_a_short_last_batch():
    loader = TensorBatchLoader(torch.arange(20.0).view(10, 2), torch.arange(10), 4)
    batches = list(loader)
    assert len(loader) == 3 and [len(y) for _, y in batches] == [4, 4, 2]
    assert [y.tolist() for _, y in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert torch.equal(batches[2][0], torch.tensor([[16.0, 17.0], [18.0, 19.0]]))


def test_a_batch_transform_sees_every_training_batch():
    seen = []
    loader = TensorBatchLoader(torch.zeros(10, 2), torch.arange(10), 4, shuffle=True,
                               batch_transform=lambda x: seen.append(len(x)) or x + 1)
    assert all(torch.equal(x, torch.ones(len(x), 2)) for x, _ in loader)
    assert seen == [4, 4, 2]


def test_the_tensor_loader_shuffles_by_its_seed():
    def order(seed):
        loader = TensorBatchLoader(torch.zeros(50, 1), torch.arange(50), 10, shuffle=True, seed=seed)
        return torch.cat([y for _, y in loader])

    assert torch.equal(order(1), order(1))
    assert not torch.equal(order(1), order(2))
    expected = torch.randperm(50, generator=torch.Generator().manual_seed(1))  # what seed 1 means
    assert torch.equal(order(1), expected)
