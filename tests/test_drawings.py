import numpy as np
import pytest

from workshop_lib.drawings import CANVAS, Style, draw_digit, random_styles, synthetic_drawings
from workshop_lib.preprocessing import centre_of_mass, ink


def test_drawings_are_dark_ink_on_white_at_the_styles_place_and_height():
    image = draw_digit(8, Style(height=100, centre=(70, 200), stroke=3))
    pixels = np.asarray(image)
    assert image.size == (CANVAS, CANVAS) and image.mode == "L"
    assert np.median(pixels) == 255 and pixels.min() == 0
    rows, cols = np.nonzero(pixels < 128)
    assert rows.max() - rows.min() + 1 == pytest.approx(100, abs=3)
    row, col = centre_of_mass(ink(image))
    assert (col, row) == pytest.approx((70, 200), abs=6)


def test_a_thicker_pen_puts_more_ink_on_the_canvas():
    thin = (np.asarray(draw_digit(4, Style(stroke=1))) < 128).sum()
    thick = (np.asarray(draw_digit(4, Style(stroke=10))) < 128).sum()
    assert thick > 1.5 * thin


def test_the_set_is_seeded_labelled_and_stays_on_the_canvas():
    images, labels = synthetic_drawings(per_digit=3, seed=1)
    again, _ = synthetic_drawings(per_digit=3, seed=1)
    assert labels == [d for d in range(10) for _ in range(3)]
    assert all(np.array_equal(np.asarray(a), np.asarray(b)) for a, b in zip(images, again, strict=True))
    assert random_styles(5, seed=1) != random_styles(5, seed=2)
    for image in images:  # no ink touches the border: the whole digit is on the canvas
        pixels = np.asarray(image)
        assert min(pixels[0].min(), pixels[-1].min(), pixels[:, 0].min(), pixels[:, -1].min()) == 255


def test_not_a_digit_is_refused():
    with pytest.raises(ValueError, match="digit 0..9"):
        draw_digit(12)
