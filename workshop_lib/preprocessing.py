"""Any picture of a digit -> a flat MNIST-style `[784]` tensor, the way MNIST itself was made.

MNIST digits are white on black, cropped to the ink, scaled so the longer side is 20 pixels
(aspect ratio kept, anti-aliased from NIST's black-and-white scans, so the edges are gray), and placed
in a 28x28 field so their centre of mass sits at pixel (14, 14). At that size the middle half of
MNIST's digits have strokes 2.4 to 3.2 pixels wide (0.12 to 0.16 of the longer side, measured). A
drawing or a photo must go through the same steps, its pen brought to MNIST's width, before a model
trained on MNIST can read it.
"""

from __future__ import annotations

import io
import os
import warnings

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageOps

from .augmentation import dilate_images

SIZE = 28  # MNIST images are 28x28
BOX = 20  # the digit's longer side, in pixels
CENTRE = 14.0  # where MNIST puts the centre of mass (row and column, 0-based pixel indices)
MIN_CONTRAST = 0.1  # ink must differ from the background by 10 % of the full range
NOISE_FLOOR = 0.1  # after stretching, fainter pixels are paper texture or JPEG noise: set to 0
WORK = 4 * BOX  # the pen is set at 80 px, four sub-pixels per MNIST pixel, then scaled to 20 px
INK_LEVEL = 0.3  # at 80 px, pixels at least this fraction of the darkest ink count as stroke
# The stroke width / the digit's longer side, as `stroke_width` measures it at 80 px: in MNIST 0.14 (the
# median), 0.12 to 0.16 for the middle half of the digits. A pen outside that range is brought to its edge.
STROKE = (0.12, 0.16)

LUMA = np.array([0.299, 0.587, 0.114])  # ITU-R 601 weights for RGB -> gray
MAX_SIDE = 1024  # an uploaded picture is shrunk to this longer side before any array is made
MAX_DECODED_BYTES = 256 * 2**20  # a picture that cannot be decoded smaller than this is refused


class PreprocessingError(ValueError):
    """An input that cannot be turned into an MNIST-style image."""


class BlankImageError(PreprocessingError):
    """The image holds no digit: nothing differs from the background."""


def _shrunk(image: Image.Image) -> Image.Image:
    """A PIL picture with its longer side at most `MAX_SIDE`, so the float arrays below stay small."""
    if max(image.size) <= MAX_SIDE:
        return image
    if image.mode in ("1", "P", "PA"):  # these resize by skipping pixels: average in gray or colour
        image = image.convert("RGBA" if image.mode == "PA" or "transparency" in image.info else "RGB")
    scale = MAX_SIDE / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)


def _as_array(image) -> np.ndarray:
    """A numpy array `[H, W]` or `[H, W, C]` (channels last) from numpy, PIL or torch input."""
    if isinstance(image, Image.Image):
        image = _shrunk(image)
    if isinstance(image, Image.Image) and image.mode[0] in "IF":  # 16/32-bit integers, floats
        values = np.asarray(image, dtype=np.float64)  # [H, W]
        if image.mode.startswith("I;16") or (image.mode == "I" and values.max() > 255):
            values /= 65535.0  # 16-bit data: full range is 0..65535, not 0..255
        return values
    if isinstance(image, Image.Image):
        has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
        return np.asarray(image.convert("RGBA" if has_alpha else "RGB"))
    if image is None or isinstance(image, (str, bytes, os.PathLike)):
        raise PreprocessingError(
            f"Expected an image (numpy array, torch tensor or PIL image), got {type(image).__name__}. "
            f"For a file, use open_image(Path(name).read_bytes())."
        )
    if isinstance(image, torch.Tensor):
        image = image.detach().cpu().numpy()
    if not isinstance(image, np.ndarray):
        try:
            image = np.asarray(image)
        except Exception as err:
            raise PreprocessingError(
                f"Expected an image as a numpy array, a torch tensor or a PIL image, got {type(image)}."
            ) from err
    if image.dtype.kind not in "buif":  # bool, unsigned, int, float
        raise PreprocessingError(f"Expected real pixel values, got dtype {image.dtype}.")
    if image.ndim == 3 and image.shape[0] in (1, 3, 4) and image.shape[-1] not in (1, 3, 4):
        image = np.moveaxis(image, 0, -1)  # torch's [C, H, W] -> [H, W, C]
    if image.ndim == 1 and image.size == SIZE * SIZE:
        image = image.reshape(SIZE, SIZE)  # a flat MNIST vector
    return image


def _scaled(values: np.ndarray) -> np.ndarray:
    """Pixel values as floats in [0, 1]: uint8 is divided by 255, other ranges are stretched."""
    if values.dtype == np.uint8:
        return values.astype(np.float64) / 255.0
    values = values.astype(np.float64)
    if not np.isfinite(values).all():
        raise PreprocessingError("The image contains NaN or infinite values.")
    low, high = values.min(), values.max()
    if low < 0.0:  # e.g. an already normalized image: stretch min..max to 0..1
        return (values - low) / (high - low) if high > low else np.zeros_like(values)
    if high > 1.0:  # 0..255 stored as floats or int32
        return values / 255.0
    return values


def to_gray(image) -> np.ndarray:
    """A float `[H, W]` array in [0, 1] from gray, RGB or RGBA input of any size and type."""
    array = _as_array(image)
    if array.size == 0:
        raise PreprocessingError(f"The image is empty (shape {tuple(array.shape)}): nothing to read.")
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim == 2:
        return _scaled(array)
    if array.ndim != 3 or array.shape[-1] not in (3, 4):
        raise PreprocessingError(
            f"Expected a gray [H, W], RGB [H, W, 3] or RGBA [H, W, 4] image (or channels first), "
            f"got shape {tuple(array.shape)}."
        )
    channels = _scaled(array)
    gray = channels[..., :3] @ LUMA
    if array.shape[-1] == 3:
        return gray
    alpha = channels[..., 3]
    if alpha.min() == alpha.max():
        return gray if alpha.max() > 0 else np.zeros_like(gray)
    # A drawing on a transparent background: lay it on a backdrop that contrasts with the ink.
    ink_tone = np.average(gray, weights=alpha)
    backdrop = 0.0 if ink_tone > 0.5 else 1.0
    return alpha * gray + (1.0 - alpha) * backdrop


def _border(gray: np.ndarray) -> np.ndarray:
    return np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])


def ink(image) -> np.ndarray:
    """White-on-black ink in [0, 1] with a 0 background; raises `BlankImageError` when there is none."""
    gray = to_gray(image)
    if np.median(_border(gray)) > 0.5:  # a light background (paper, Paint): MNIST is white on black
        gray = 1.0 - gray
    background = np.median(_border(gray))
    contrast = gray.max() - background
    if contrast < MIN_CONTRAST:
        raise BlankImageError(
            "The image is blank: no stroke stands out from the background. Draw or photograph a "
            "digit (dark on light or light on dark) and try again."
        )
    stretched = np.clip((gray - background) / contrast, 0.0, 1.0)
    stretched[stretched < NOISE_FLOOR] = 0.0
    return stretched


def centre_of_mass(pixels: np.ndarray) -> tuple[float, float]:
    """(row, column) of the intensity-weighted mean position of a 2-D array."""
    total = pixels.sum()
    rows = np.arange(pixels.shape[0]) @ pixels.sum(axis=1) / total
    cols = np.arange(pixels.shape[1]) @ pixels.sum(axis=0) / total
    return float(rows), float(cols)


def crop_to_ink(pixels: np.ndarray) -> np.ndarray:
    """The bounding box of the non-zero pixels of `[H, W]` (which must hold some)."""
    rows, cols = np.nonzero(pixels)
    return pixels[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]


def fit(pixels: np.ndarray, side: int, mode: str = "bilinear") -> np.ndarray:
    """`pixels [H, W]` resized so that the longer side is `side` (aspect ratio kept), in [0, 1].

    `mode="bilinear"` with antialiasing (shrinking averages, not skips); `mode="area"`: each output
    pixel is the mean of the input area it covers, as a scanner's sensor would see it.
    """
    h, w = pixels.shape
    scale = side / max(h, w)
    size = (max(1, round(h * scale)), max(1, round(w * scale)))
    t = torch.from_numpy(np.ascontiguousarray(pixels)).float()[None, None]  # [1, 1, H, W]
    if mode == "area" and scale < 1:
        out = F.interpolate(t, size=size, mode="area")
    else:
        out = F.interpolate(t, size=size, mode="bilinear", antialias=True, align_corners=False)
    return out[0, 0].clamp_(0.0, 1.0).numpy().astype(np.float64)


def square(pixels: np.ndarray) -> np.ndarray:
    """`pixels [H, W]` centred on a zero square of side max(H, W), so both axes later scale alike."""
    h, w = pixels.shape
    side = max(h, w)
    out = np.zeros((side, side))
    top, left = (side - h) // 2, (side - w) // 2
    out[top : top + h, left : left + w] = pixels
    return out


def stroke_width(mask: np.ndarray) -> float:
    """The mean width, in pixels, of the strokes of a 0/1 ink mask `[H, W]`.

    A stroke `w` wide and `L` long covers `A = w·L` pixels and loses about `2·L` of them to one step of
    erosion (one pixel off each side), so `w ≈ 2·A / lost`. A 3x3 cross erodes slanted strokes less
    than upright ones, a 3x3 square more: the geometric mean of the two losses is close to `2·L` at
    every angle.
    """
    m = torch.from_numpy(np.ascontiguousarray(mask, dtype=np.float32))[None, None]  # [1, 1, H, W]
    m = F.pad(m, (1, 1, 1, 1))  # paper around the ink, so strokes at the edge erode too
    area = m.sum()
    lost = [area - (-dilate_images(-m, shape)).sum() for shape in ("cross", "square")]
    return float(2 * area / (lost[0] * lost[1]).sqrt()) if lost[0] > 0 else 0.0


def with_stroke_width(pixels: np.ndarray, low: float, high: float | None = None) -> np.ndarray:
    """Ink `[H, W]` (max 1) whose strokes are between `low` and `high` times the digit's longer side wide.

    The width is measured on the pixels at least `INK_LEVEL` dark; a pen already in the range is kept.
    Widening every stroke by `d` also widens the box by `d`, so `(w + d) / (S + d) = r` gives
    `d = (r·S − w) / (1 − r)` for the current width `w`, longer side `S` and the nearest ratio `r` in
    range. Each step of `d / 2` is a dilation (a max over a 3x3 neighbourhood: a max-pooling with stride
    1) or an erosion (a min), alternating a cross and a square so that many steps grow a near-round
    octagon. The result is cropped to its ink.
    """
    high = low if high is None else high
    mask = pixels >= INK_LEVEL
    width = stroke_width(mask)
    side = max(crop_to_ink(mask).shape)
    ratio = min(max(width / side, low), high)
    change = (ratio * side - width) / (1 - ratio)
    steps = round(abs(change) / 2)
    if steps == 0:
        return pixels
    t = F.pad(torch.from_numpy(pixels).float()[None, None], (steps,) * 4)  # room for wider strokes
    for k in range(steps):
        shape = ("cross", "square")[k % 2]
        t = dilate_images(t, shape) if change > 0 else -dilate_images(-t, shape)
    if change < 0 and (t >= INK_LEVEL).sum() < 0.25 * mask.sum():
        return pixels  # the pen is too uneven to thin safely (thin parts would vanish): keep it
    out = t[0, 0].numpy().astype(np.float64)
    out[out < NOISE_FLOOR] = 0.0
    return crop_to_ink(out)


def place_by_mass(digit: np.ndarray) -> np.ndarray:
    """A 28x28 field with `digit [h, w]` (h, w <= 28) placed so its centre of mass is at (14, 14).

    Ink is never pushed out of the field: a very lopsided digit (a "7" with a heavy bar) ends up a
    pixel or two off instead of cut off.
    """
    height, width = digit.shape
    com_row, com_col = centre_of_mass(digit)
    top = min(max(round(CENTRE - com_row), 0), SIZE - height)
    left = min(max(round(CENTRE - com_col), 0), SIZE - width)
    field = np.zeros((SIZE, SIZE))
    field[top : top + height, left : left + width] = digit
    return field


def _normalized(pixels: np.ndarray, mean: float | None, std: float | None) -> torch.Tensor:
    if (mean is None) != (std is None):
        raise ValueError("Give both mean and std (to normalize like the training data) or neither.")
    flat = torch.from_numpy(pixels.reshape(-1)).float()  # [784]
    if mean is not None:
        if std <= 0:
            raise ValueError(f"std must be positive, got {std}.")
        flat = (flat - mean) / std
    return flat


def mnist_style(image, mean: float | None = None, std: float | None = None) -> torch.Tensor:
    """A flat float `[784]` tensor made the way MNIST was: crop, MNIST's pen, 20 px, centre by mass.

    `image`: numpy, torch or PIL; gray, RGB or RGBA; any size; dark-on-light or light-on-dark.
    `mean`, `std`: normalize like the training data when the model was trained normalized.
    Raises `BlankImageError` when there is no digit to read.
    """
    work = fit(square(crop_to_ink(ink(image))), WORK)  # [80, 80] white on black, the ink's box
    work /= work.max()
    work = with_stroke_width(work, *STROKE)  # MNIST's pen, whatever pen drew it
    digit = fit(square(work), BOX, mode="area")  # [20, 20] anti-aliased: gray edges, as in MNIST
    digit = crop_to_ink(digit / digit.max())
    return _normalized(place_by_mass(digit), mean, std)


def naive_resize(image, mean: float | None = None, std: float | None = None) -> torch.Tensor:
    """The whole picture squeezed to 28x28 (white on black), no cropping or centring: `[784]`."""
    gray = to_gray(image)
    if np.median(_border(gray)) > 0.5:
        gray = 1.0 - gray
    t = torch.from_numpy(gray).float()[None, None]  # [1, 1, H, W]
    squeezed = F.interpolate(t, size=(SIZE, SIZE), mode="bilinear", antialias=True, align_corners=False)
    return _normalized(squeezed[0, 0].clamp_(0.0, 1.0).numpy().astype(np.float64), mean, std)


def _decoded_bytes(image: Image.Image) -> int:
    per_pixel = 1 if image.mode in ("1", "L", "P") else 2 if image.mode.startswith("I;16") else 4
    return image.width * image.height * per_pixel


def open_image(data: bytes, max_side: int = MAX_SIDE) -> Image.Image:
    """A PIL image from file bytes (PNG, JPEG, GIF, BMP, ...), turned upright as the camera held it.

    Its longer side is at most `max_side`: a JPEG is decoded at 1/2, 1/4 or 1/8 scale directly
    (`draft`), so a 48-megapixel photo never exists in memory at full size.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise PreprocessingError(f"Expected the file's bytes, got {type(data).__name__}.")
    try:
        with warnings.catch_warnings():  # Pillow's size warning: the limit below is stricter
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))  # reads the header only
        image.draft(image.mode if image.mode in ("L", "RGB") else None, (max_side, max_side))
        if _decoded_bytes(image) > MAX_DECODED_BYTES:
            raise PreprocessingError(
                f"The picture is too large to read safely ({image.width}x{image.height} pixels, "
                f"{image.format}). Shrink it below about {MAX_DECODED_BYTES // 2**22} megapixels, "
                f"or save it as a JPEG, and upload it again."
            )
        image.load()  # an animated GIF/PNG: its first frame
    except PreprocessingError:
        raise
    except Image.DecompressionBombError as err:
        raise PreprocessingError(f"The picture is too large to read safely ({err}). Shrink it.") from err
    except Exception as err:
        raise PreprocessingError(
            f"Could not read the file as an image ({type(err).__name__}: {err}). "
            f"Use a PNG, JPEG, GIF or BMP picture."
        ) from err
    image.thumbnail((max_side, max_side))  # in place; keeps the EXIF orientation
    return ImageOps.exif_transpose(image)
