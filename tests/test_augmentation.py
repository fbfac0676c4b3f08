import pytest
import torch
from torchvision.transforms import functional as TF

from workshop_lib.augmentation import (
    RandomAffine,
    affine_matrices,
    apply_affine,
    centre_of_mass,
    sampling_grid,
)
from workshop_lib.data import FastDataLoaderFNN


@pytest.fixture(scope="module")
def digits(mnist_root):
    """The first 16 training images, flat [16, 784] in [0, 1]."""
    data = FastDataLoaderFNN(subset_size=200, validation_ratio=0.0, seed=0)
    return data.test_loader.images[:16].clone()


def params(b, angle=0.0, shift=(0.0, 0.0), scale=1.0):
    return torch.full((b,), angle), torch.tensor(shift).repeat(b, 1), torch.full((b,), scale)


def test_identity_parameters_give_back_the_input(digits):
    out = apply_affine(digits, affine_matrices(*params(len(digits))))
    assert out.shape == digits.shape
    torch.testing.assert_close(out, digits, atol=1e-5, rtol=0)


def test_random_affine_keeps_shape_dtype_and_range(digits):
    out = RandomAffine(seed=0)(digits)
    assert out.shape == (16, 784) and out.dtype == torch.float32
    assert out.min() >= 0 and out.max() <= 1 + 1e-6
    assert not torch.allclose(out, digits)


def test_a_shift_moves_the_centre_of_mass_by_the_same_number_of_pixels(digits):
    grid = digits.view(-1, 28, 28)
    inside = grid[:, :, -4:].sum((1, 2)) + grid[:, :3].sum((1, 2)) == 0
    digits = digits[inside]  # room to move 3 pixels right and 2 up: nothing is cut off
    assert len(digits) >= 8
    before = centre_of_mass(digits)
    after = centre_of_mass(apply_affine(digits, affine_matrices(*params(len(digits), shift=(3.0, -2.0)))))
    expected = torch.tensor([3.0, -2.0]).expand(len(digits), 2)
    torch.testing.assert_close(after - before, expected, atol=1e-3, rtol=0)


def test_rotation_and_zoom_equal_torchvision_on_a_single_image(digits):
    image = digits[:1].view(1, 1, 28, 28)
    # torchvision's affine turns clockwise for a positive angle; ours turns counter-clockwise
    reference = TF.affine(image, angle=20.0, translate=[0, 0], scale=1.2, shear=[0.0],
                          interpolation=TF.InterpolationMode.BILINEAR)
    ours = apply_affine(digits[:1], affine_matrices(*params(1, angle=-20.0, scale=1.2)))
    torch.testing.assert_close(ours.view(1, 1, 28, 28), reference, atol=1e-5, rtol=0)
    other_way = apply_affine(digits[:1], affine_matrices(*params(1, angle=20.0, scale=1.2)))
    assert (other_way.view(1, 1, 28, 28) - reference).abs().mean() > 0.05


def test_same_seed_same_augmentation_different_seed_different(digits):
    a, b, c = RandomAffine(seed=1), RandomAffine(seed=1), RandomAffine(seed=2)
    torch.testing.assert_close(a(digits), b(digits))
    assert not torch.allclose(a(digits), c(digits))
    assert not torch.allclose(a(digits), a(digits))  # a fresh draw on every batch


def test_each_image_of_a_batch_gets_its_own_transform(digits):
    same = digits[:1].repeat(8, 1)
    out = RandomAffine(degrees=15, seed=0)(same)
    assert len({tuple(row.round(decimals=4).tolist()) for row in out}) == 8


def test_background_value_is_kept_for_normalised_images(digits):
    mean, std = 0.1307, 0.3081
    normalised = (digits - mean) / std
    out = RandomAffine(translate=0.2, background=-mean / std, seed=0)(normalised)
    torch.testing.assert_close(out.min(), torch.tensor(-mean / std), atol=1e-5, rtol=0)


def test_the_loader_applies_it_to_training_batches_only(mnist_root):
    data = FastDataLoaderFNN(subset_size=100, batch_size=10, seed=0, batch_transform=RandomAffine(seed=0))
    x, _ = next(iter(data.train_loader))
    assert x.shape == (10, 784)
    plain = FastDataLoaderFNN(subset_size=100, batch_size=10, seed=0)
    torch.testing.assert_close(next(iter(data.val_loader))[0], next(iter(plain.val_loader))[0])


@pytest.mark.parametrize("kwargs", [{"degrees": -1}, {"translate": 1.5}, {"scale": (1.2, 0.8)}])
def test_bad_ranges_are_refused(kwargs):
    with pytest.raises(ValueError, match="Expected degrees"):
        RandomAffine(**kwargs)


def test_unflattened_images_are_refused():
    with pytest.raises(ValueError, match=r"\[B, 784\]"):
        apply_affine(torch.rand(2, 1, 28, 28), affine_matrices(*params(2)))


def test_sampling_grid_is_exactly_affine_grid():
    theta = RandomAffine(degrees=30, translate=0.2, scale=(0.7, 1.3), seed=3).sample(5)
    expected = torch.nn.functional.affine_grid(theta, [5, 1, 28, 28], align_corners=False)
    torch.testing.assert_close(sampling_grid(theta), expected)
