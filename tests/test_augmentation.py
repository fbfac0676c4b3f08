import pytest
import torch
from torchvision.transforms import functional as TF

from workshop_lib.augmentation import (
    RandomAffine,
    RandomStroke,
    affine_matrices,
    apply_affine,
    centre_of_mass,
    dilate,
    erode,
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


def by_hand_dilation(image: torch.Tensor) -> torch.Tensor:
    """A 3x3-cross dilation of one `[28, 28]` image, pixel by pixel."""
    out = image.clone()
    for i in range(28):
        for j in range(28):
            for di, dj in ((-1, 0), (1, 0), (0, -1), (0, 1)):
                if 0 <= i + di < 28 and 0 <= j + dj < 28:
                    out[i, j] = max(out[i, j], image[i + di, j + dj])
    return out


def test_dilate_is_the_max_over_a_cross_as_computed_by_hand(digits):
    out = dilate(digits[:2])
    assert out.shape == (2, 784)
    for k in range(2):
        torch.testing.assert_close(out[k].view(28, 28), by_hand_dilation(digits[k].view(28, 28)))


def test_a_one_pixel_line_grows_to_three_and_erodes_back():
    line = torch.zeros(28, 28)
    line[5:20, 14] = 1.0  # a vertical stroke one pixel wide
    thick = dilate(line.view(1, 784)).view(28, 28)
    assert thick[10].sum() == 3 and thick[:, 14].sum() == 17  # one pixel more on every side
    torch.testing.assert_close(erode(thick.view(1, 784)).view(28, 28), line)
    assert erode(line.view(1, 784)).sum() == 0  # a one-pixel stroke erodes away


def test_random_stroke_blends_between_eroded_and_dilated_per_image(digits):
    out = RandomStroke(max_change=1.0, seed=0)(digits)
    assert out.shape == digits.shape and out.dtype == digits.dtype
    low, high = erode(digits), dilate(digits)
    assert (out >= low - 1e-6).all() and (out <= high + 1e-6).all()
    ink_change = out.sum(dim=1) - digits.sum(dim=1)  # [16]: some thicker, some thinner
    assert (ink_change > 0).any() and (ink_change < 0).any()
    torch.testing.assert_close(RandomStroke(max_change=1.0, seed=0)(digits), out)  # seeded: repeats
    torch.testing.assert_close(RandomStroke(max_change=0.0, seed=0)(digits), digits)


def test_random_stroke_works_on_normalised_images_and_rejects_a_bad_change(digits):
    mean, std = 0.1307, 0.3081
    raw = RandomStroke(seed=3)(digits)
    normalised = RandomStroke(seed=3)((digits - mean) / std)
    torch.testing.assert_close(normalised, (raw - mean) / std, atol=1e-5, rtol=0)
    with pytest.raises(ValueError, match="max_change"):
        RandomStroke(max_change=2.0)
