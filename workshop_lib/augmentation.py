"""Data augmentation on whole batches: random small rotations, shifts and zooms of flat MNIST images.

One random affine matrix per image, applied to the batch at once (a sampling grid as
`F.affine_grid` makes it, then `F.grid_sample`), so augmenting costs a few tensor operations per
batch, not a Python loop per image.
"""

from __future__ import annotations

import math
from functools import lru_cache

import torch
import torch.nn.functional as F

SIDE = 28  # MNIST images are 28 x 28


def affine_matrices(angle_deg: torch.Tensor, shift_px: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """`[B, 2, 3]` matrices (as `F.affine_grid` takes them) that rotate by `angle_deg` `[B]`
    (counter-clockwise), scale by `scale` `[B]` and then shift by `shift_px` `[B, 2]` (x right, y down,
    in pixels).

    `affine_grid` asks, for every output pixel, where to read in the input: so the matrix is the
    inverse of the movement, `input = (R·S)⁻¹ (output − t)`, in coordinates where the image spans [-1, 1].
    """
    angle = torch.deg2rad(angle_deg)
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale  # (R·S)⁻¹ = R(−angle) / scale
    # y points down in image coordinates, so a counter-clockwise turn on screen is R(−angle) there.
    inverse = torch.stack([torch.stack([cos, -sin], -1), torch.stack([sin, cos], -1)], -2)  # [B, 2, 2]
    shift = shift_px * (2.0 / SIDE)  # pixels -> [-1, 1] units: the image is 2 units wide
    offset = -(inverse @ shift.unsqueeze(-1))  # [B, 2, 1]
    return torch.cat([inverse, offset], dim=2)


@lru_cache(maxsize=8)
def _pixel_centres(device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    """`[784, 3]`: (x, y, 1) of every pixel centre, in `grid_sample`'s [-1, 1] units (align_corners=False)."""
    c = (torch.arange(SIDE, device=device, dtype=dtype) * 2 + 1) / SIDE - 1  # [28]
    ys, xs = torch.meshgrid(c, c, indexing="ij")
    ones = torch.ones(SIDE * SIDE, device=device, dtype=dtype)
    return torch.stack([xs.reshape(-1), ys.reshape(-1), ones], dim=1)


def sampling_grid(theta: torch.Tensor) -> torch.Tensor:
    """`[B, 28, 28, 2]`: for every output pixel, where to read in the input.

    The same numbers as `F.affine_grid(theta, [B, 1, 28, 28], align_corners=False)`, computed as one
    product of the pixel centres with the matrices: on a CPU, several times faster for 28 x 28 images.
    """
    points = _pixel_centres(theta.device, theta.dtype)  # [784, 3]
    return (points @ theta.transpose(1, 2)).view(-1, SIDE, SIDE, 2)  # [784, 3] @ [B, 3, 2] -> [B, 784, 2]


def apply_affine(x: torch.Tensor, theta: torch.Tensor, background: float = 0.0) -> torch.Tensor:
    """Move each flat image `x [B, 784]` by its matrix `theta [B, 2, 3]`; empty pixels get `background`."""
    if x.dim() != 2 or x.shape[1] != SIDE * SIDE:
        raise ValueError(f"Expected flat MNIST images of shape [B, 784], got {list(x.shape)}.")
    if theta.dim() != 3 or theta.shape[1:] != (2, 3) or len(theta) != len(x):
        raise ValueError(f"Expected one [2, 3] matrix per image, theta [B, 2, 3] with B = {len(x)}; got "
                         f"{list(theta.shape)}.")
    images = x.view(-1, 1, SIDE, SIDE) - background  # [B, 1, 28, 28]; background -> 0 for padding
    grid = sampling_grid(theta.to(x.dtype))  # [B, 28, 28, 2]
    moved = F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    return moved.view(-1, SIDE * SIDE) + background


class RandomAffine:
    """A batch transform: each image rotated by up to ±`degrees`, shifted by up to ±`translate` of
    its width and height, scaled by a factor in `scale`. Use it as
    `FastDataLoaderFNN(batch_transform=RandomAffine(...))`; it then runs on training batches only.

    `background` is the value of an empty pixel: 0 for raw images, `-mean/std` for normalised ones.
    """

    def __init__(
        self,
        degrees: float = 10.0,
        translate: float = 0.1,
        scale: tuple[float, float] = (0.9, 1.1),
        background: float = 0.0,
        seed: int | None = None,
    ):
        numbers = (degrees, translate, background)
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in numbers):
            raise TypeError(f"degrees, translate and background are numbers; got {numbers}.")
        if not (isinstance(scale, (tuple, list)) and len(scale) == 2
                and all(isinstance(v, (int, float)) for v in scale)):
            raise TypeError(f"scale is a (smallest, largest) pair, e.g. (0.9, 1.1); got {scale!r}.")
        if degrees < 0 or not 0 <= translate < 1 or not 0 < scale[0] <= scale[1]:
            raise ValueError(
                f"Expected degrees >= 0, 0 <= translate < 1 (a fraction of the image) and "
                f"0 < scale[0] <= scale[1]; got degrees={degrees}, translate={translate}, scale={scale}."
            )
        self.degrees, self.translate, self.scale = float(degrees), float(translate), tuple(scale)
        self.background = float(background)
        self.generator = torch.Generator()
        self.generator.manual_seed(seed if seed is not None else torch.seed())

    def _uniform(self, shape, low: float, high: float) -> torch.Tensor:
        return torch.rand(shape, generator=self.generator) * (high - low) + low

    def sample(self, batch_size: int) -> torch.Tensor:
        """`[B, 2, 3]` random matrices (drawn on the CPU, so a seed repeats on every device)."""
        angle = self._uniform(batch_size, -self.degrees, self.degrees)
        max_shift = self.translate * SIDE
        shift = self._uniform((batch_size, 2), -max_shift, max_shift)
        # zoom uniformly on a log scale, so 0.9 and 1/0.9 are equally likely
        scale = torch.exp(self._uniform(batch_size, math.log(self.scale[0]), math.log(self.scale[1])))
        return affine_matrices(angle, shift, scale)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        theta = self.sample(len(x)).to(x.device)
        return apply_affine(x, theta, self.background)

    def __repr__(self) -> str:
        return (f"RandomAffine(degrees={self.degrees}, translate={self.translate}, scale={self.scale}, "
                f"background={self.background})")


def centre_of_mass(x: torch.Tensor) -> torch.Tensor:
    """`[B, 2]` (x, y) centre of mass in pixels of flat images `[B, 784]` with a zero background."""
    images = x.view(-1, SIDE, SIDE).clamp(min=0)
    coords = torch.arange(SIDE, dtype=x.dtype, device=x.device)
    mass = images.sum(dim=(1, 2))
    cx = (images.sum(dim=1) * coords).sum(dim=1) / mass
    cy = (images.sum(dim=2) * coords).sum(dim=1) / mass
    return torch.stack([cx, cy], dim=1)


def dilate_images(images: torch.Tensor, shape: str = "cross") -> torch.Tensor:
    """`images [N, C, H, W]` with every bright stroke one pixel wider on each side.

    Dilation is a max-pooling with stride 1: `out[i, j] = max` of `x` over a 3x3 neighbourhood, a
    "square", or a "cross" (`x[i, j]`, `x[i±1, j]`, `x[i, j±1]`: the max of a 1x3 and a 3x1 window).
    """
    if shape == "square":
        return F.max_pool2d(images, 3, stride=1, padding=1)
    if shape != "cross":
        raise ValueError(f'Expected shape "cross" or "square", got {shape!r}.')
    rows = F.max_pool2d(images, (1, 3), stride=1, padding=(0, 1))
    cols = F.max_pool2d(images, (3, 1), stride=1, padding=(1, 0))
    return torch.maximum(rows, cols)


def dilate(x: torch.Tensor) -> torch.Tensor:
    """Flat images `[B, 784]` with every stroke one pixel wider on each side (a max over a 3x3 cross)."""
    return dilate_images(x.view(-1, 1, SIDE, SIDE)).view(-1, SIDE * SIDE)


def erode(x: torch.Tensor) -> torch.Tensor:
    """Flat images `[B, 784]` with every stroke one pixel thinner on each side: `−dilate(−x)`, a min-pool."""
    return -dilate(-x)


class RandomStroke:
    """A batch transform: each image's strokes made thicker or thinner by a random amount.

    Per image a `t` uniform in [−`max_change`, `max_change`] (at most 1): `x + t·(dilate(x) − x)` for
    `t > 0`, `x + |t|·(erode(x) − x)` for `t < 0`, so `t = ±1` is one pixel more or less on each side and
    values between blend. Works on raw and normalised images alike (the background is the minimum).
    Chain it after `RandomAffine`: `batch_transform=lambda x: stroke(affine(x))`.
    """

    def __init__(self, max_change: float = 1.0, seed: int | None = None):
        if not 0 <= max_change <= 1:
            raise ValueError(f"Expected 0 <= max_change <= 1 (one pixel per side at most), got {max_change}.")
        self.max_change = float(max_change)
        self.generator = torch.Generator()
        self.generator.manual_seed(seed if seed is not None else torch.seed())

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        t = (torch.rand(len(x), 1, generator=self.generator) * 2 - 1) * self.max_change  # [B, 1] on the CPU
        t = t.to(x.device, x.dtype)
        target = torch.where(t > 0, dilate(x), erode(x))  # [B, 784]: the fully thicker or thinner image
        return x + t.abs() * (target - x)

    def __repr__(self) -> str:
        return f"RandomStroke(max_change={self.max_change})"
