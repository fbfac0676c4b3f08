import io

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from workshop_lib.data import mnist_dataset
from workshop_lib.preprocessing import (
    BlankImageError,
    PreprocessingError,
    centre_of_mass,
    mnist_style,
    naive_resize,
    open_image,
    stroke_width,
)


def draw_seven(size=(280, 280), box=(40, 40, 120, 160), width=16, ink=255, paper=0, mode="L"):
    """A "7" (a bar and a slanted stroke) drawn inside `box` on a `size` (W, H) picture."""
    picture = Image.new(mode, size, paper)
    x0, y0, x1, y1 = box
    ImageDraw.Draw(picture).line([(x0, y0), (x1, y0), (x0 + (x1 - x0) // 3, y1)], fill=ink, width=width)
    return picture


def as_28(t: torch.Tensor) -> np.ndarray:
    assert t.shape == (784,) and t.dtype == torch.float32
    return t.view(28, 28).numpy()


def ink_box(pixels: np.ndarray) -> tuple[int, int]:
    """(height, width) of the bounding box of the non-zero pixels."""
    rows, cols = np.nonzero(pixels)
    return rows.max() - rows.min() + 1, cols.max() - cols.min() + 1


def assert_mnist_like(pixels: np.ndarray) -> None:
    row, col = centre_of_mass(pixels)
    assert abs(row - 14) <= 1 and abs(col - 14) <= 1, (row, col)
    assert max(ink_box(pixels)) == 20  # nothing cut off at the edges of the field
    assert pixels.min() == 0 and pixels.max() == pytest.approx(1.0)
    assert pixels[0, 0] == pixels[0, -1] == pixels[-1, 0] == pixels[-1, -1] == np.median(pixels) == 0


@pytest.mark.parametrize(
    "box, width",
    [
        ((10, 10, 90, 110), 14),  # off-centre: top-left corner
        ((180, 150, 270, 270), 14),  # off-centre: bottom-right corner
        ((130, 130, 136, 140), 2),  # tiny
        ((5, 5, 275, 275), 30),  # huge: fills the canvas
        ((60, 60, 200, 220), 45),  # very thick strokes
    ],
    ids=["top-left", "bottom-right", "tiny", "huge", "thick"],
)
def test_any_drawing_ends_up_centred_by_mass_in_a_20_pixel_box(box, width):
    assert_mnist_like(as_28(mnist_style(np.asarray(draw_seven(box=box, width=width)))))


def test_position_and_size_on_the_canvas_do_not_matter():
    small = as_28(mnist_style(np.asarray(draw_seven(box=(10, 10, 50, 70), width=6))))
    large = as_28(mnist_style(np.asarray(draw_seven(box=(100, 60, 220, 240), width=18))))
    assert np.abs(small - large).mean() < 0.05


def test_black_on_white_and_white_on_black_give_the_same_tensor():
    white_on_black = mnist_style(np.asarray(draw_seven(ink=255, paper=0)))
    black_on_white = mnist_style(np.asarray(draw_seven(ink=0, paper=255)))
    torch.testing.assert_close(white_on_black, black_on_white)
    assert as_28(black_on_white)[0, 0] == 0  # the white paper became the black background


def test_aspect_ratio_is_kept_on_a_non_square_picture():
    wide = Image.new("L", (300, 150), 255)  # W x H
    ImageDraw.Draw(wide).rectangle((20, 20, 279, 119), outline=0, width=36)  # a frame 260 x 100 px
    height, width = ink_box(as_28(mnist_style(wide)))  # its pen, 36 / 260 = 0.14, is MNIST's: kept
    assert width == 20 and height == 8  # 20 * 100 / 260 = 7.7


def test_a_dash_gets_mnist_pen_whatever_pen_drew_it():
    across = []
    for pen in (4, 20, 60):  # a dash 260 px long, drawn 4, 20 and 60 px thick
        wide = Image.new("L", (300, 200), 255)
        ImageDraw.Draw(wide).line([(20, 100), (280, 100)], fill=0, width=pen)
        pixels = as_28(mnist_style(wide))
        assert ink_box(pixels)[1] == 20, pen
        across.append(pixels.sum(axis=0)[14])  # the ink across the middle of the dash, in pixels
    # drawn 1.5 %, 8 % and 23 % as thick as long, the dash comes out 2.4 to 3.6 pixels thick at 20 px
    assert all(2.2 <= a <= 3.8 for a in across), across


def test_stroke_width_of_hand_made_strokes():
    upright = np.zeros((100, 100))
    upright[10:90, 40:46] = 1  # 6 pixels wide, 80 long
    assert stroke_width(upright) == pytest.approx(6, rel=0.1)
    for angle in (22, 45, 60):
        picture = Image.new("L", (200, 200), 0)
        dx, dy = 70 * np.cos(np.radians(angle)), 70 * np.sin(np.radians(angle))
        ImageDraw.Draw(picture).line([(100 - dx, 100 - dy), (100 + dx, 100 + dy)], fill=255, width=12)
        slanted = np.asarray(picture) > 127
        # within a fifth of area / length at any angle
        assert stroke_width(slanted) == pytest.approx(slanted.sum() / 140, rel=0.2), angle


def test_thin_and_thick_pens_give_nearly_the_same_mnist_image():
    # cropped, scaled and centred only, the 3 px and 40 px sevens are 0.73 similar to the 16 px one
    middle = mnist_style(np.asarray(draw_seven(width=16)))
    for pen, least in ((3, 0.93), (40, 0.82)):
        other = mnist_style(np.asarray(draw_seven(width=pen)))
        assert torch.cosine_similarity(other, middle, dim=0) > least, pen


def test_rgb_rgba_pil_tensor_and_float_inputs_agree_with_gray_uint8():
    gray = np.asarray(draw_seven(ink=0, paper=255))
    expected = mnist_style(gray)
    rgb = np.stack([gray] * 3, axis=-1)
    rgba_opaque = np.concatenate([rgb, np.full_like(gray, 255)[..., None]], axis=-1)
    inputs = {
        "rgb": rgb,
        "rgba": rgba_opaque,
        "pil": Image.fromarray(gray),
        "pil rgb": Image.fromarray(rgb),
        "tensor [H, W]": torch.from_numpy(gray.copy()),
        "tensor [1, H, W]": torch.from_numpy(gray.copy())[None],
        "tensor [3, H, W]": torch.from_numpy(rgb.copy()).permute(2, 0, 1),
        "float 0..255": gray.astype(np.float32),
        "float 0..1": gray / 255.0,
    }
    for name, image in inputs.items():
        torch.testing.assert_close(mnist_style(image), expected, msg=name)


def test_a_drawing_on_a_transparent_background_is_read_whatever_the_ink_colour():
    expected = mnist_style(np.asarray(draw_seven()))
    for color in ((0, 0, 0), (255, 255, 255), (200, 30, 30)):
        picture = Image.new("RGBA", (280, 280), (0, 0, 0, 0))
        picture.paste(Image.new("RGBA", (280, 280), (*color, 255)), mask=draw_seven())
        result = mnist_style(picture)
        assert torch.nn.functional.cosine_similarity(result, expected, dim=0) > 0.99, color


def test_a_real_mnist_digit_stays_itself():
    images = mnist_dataset(train=False).data[:100]  # [100, 28, 28] uint8, already MNIST-style
    similarities = []
    for digit in images:
        original = digit.float().flatten() / 255
        again = mnist_style(digit).view(28, 28)
        similarities.append(max(  # up to a one-pixel shift (rounding of the centre of mass)
            torch.cosine_similarity(original, torch.roll(again, (dy, dx), (0, 1)).flatten(), dim=0).item()
            for dy in (-1, 0, 1)
            for dx in (-1, 0, 1)
        ))
    similarities = np.array(similarities)
    # the pens in MNIST's middle range are kept: those digits come back as they were
    assert (similarities > 0.97).mean() >= 0.4
    # the others get their pen brought to that range: thinner or thicker, still the same digit
    assert similarities.min() > 0.8


@pytest.mark.parametrize(
    "image",
    [np.zeros((280, 280)), np.full((50, 80), 255, np.uint8), np.full((28, 28, 3), 128, np.uint8),
     np.random.default_rng(0).uniform(0.48, 0.52, (100, 100)), np.zeros((28, 28, 4), np.uint8)],
    ids=["black", "white", "gray rgb", "faint noise", "transparent"],
)
def test_a_blank_picture_is_refused_with_a_clear_message(image):
    with pytest.raises(BlankImageError, match="blank"):
        mnist_style(image)


@pytest.mark.parametrize(
    "image, message",
    [(np.zeros((0, 0)), "empty"), (np.zeros((10, 10, 7)), "Expected a gray"), (np.zeros(5), "Expected"),
     (np.full((4, 4), np.nan), "NaN")],
)
def test_bad_input_says_what_was_expected(image, message):
    with pytest.raises(PreprocessingError, match=message):
        mnist_style(image)


def test_normalization_like_the_training_data():
    picture = np.asarray(draw_seven())
    plain = mnist_style(picture)
    torch.testing.assert_close(mnist_style(picture, mean=0.13, std=0.31), (plain - 0.13) / 0.31)
    with pytest.raises(ValueError, match="both mean and std"):
        mnist_style(picture, mean=0.13)


def test_naive_resize_keeps_the_digit_where_and_as_small_as_it_was():
    picture = np.asarray(draw_seven(box=(10, 10, 70, 90), width=14))  # top-left quarter of 280x280
    naive = naive_resize(picture).view(28, 28).numpy()
    row, col = centre_of_mass(naive)
    assert row < 8 and col < 8  # stays in the corner: what a model trained on MNIST never saw
    assert max(ink_box(naive > 0.05)) <= 10
    assert_mnist_like(as_28(mnist_style(picture)))  # the MNIST way fixes both


def test_open_image_reads_file_bytes_and_refuses_garbage():
    buffer = io.BytesIO()
    draw_seven(ink=0, paper=255).save(buffer, format="PNG")
    torch.testing.assert_close(mnist_style(open_image(buffer.getvalue())),
                               mnist_style(draw_seven(ink=0, paper=255)))
    with pytest.raises(PreprocessingError, match="Could not read the file as an image"):
        open_image(b"this is not a picture")



def test_a_lopsided_digit_is_not_cut_off_at_the_edge():
    tee = Image.new("L", (280, 280), 0)  # a heavy bar on a thin stem: the mass sits near the top
    pen = ImageDraw.Draw(tee)
    pen.line([(20, 40), (260, 40)], fill=255, width=50)
    pen.line([(140, 40), (140, 270)], fill=255, width=6)
    pixels = as_28(mnist_style(tee))
    assert ink_box(pixels)[0] == 20 and pixels[-1].sum() > 0  # the whole stem kept, to the last row
    assert centre_of_mass(pixels)[0] < 14  # so the mass cannot reach the centre: the field wins
