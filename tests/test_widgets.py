import io
import re
from datetime import datetime, timezone

import ipywidgets
import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from workshop_lib import widgets
from workshop_lib.data import TensorBatchLoader
from workshop_lib.fnn import FNN
from workshop_lib.network_user import confusion_matrix
from workshop_lib.preprocessing import mnist_style

# Ten samples whose first ten pixels are the logits a pass-through model will return.
LABELS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
PREDS = [0, 7, 2, 3, 9, 5, 6, 1, 8, 4]  # mistakes at 1 (1->7), 4 (4->9), 7 (7->1), 9 (9->4)
CONFIDENCE = [5, 2, 4, 1, 6, 3, 2, 4, 1, 3]  # the winning logit; the others are 0


class FirstTen(nn.Module):
    """Logits = the first ten input values: predictions fixed by the data."""

    def forward(self, x):
        return x[:, :10]


def make_loader(batch_size=3):
    x = torch.zeros(10, 784)
    x[torch.arange(10), torch.tensor(PREDS)] = torch.tensor(CONFIDENCE, dtype=torch.float)
    return TensorBatchLoader(x, torch.tensor(LABELS), batch_size)


@pytest.fixture
def browser():
    return widgets.PredictionBrowser(FirstTen(), make_loader())


def shown(browser):
    """(dataset index, true, predicted) read from the widget's status line."""
    p = browser.predictions
    i = browser.index
    assert f"image <b>{i}</b>" in browser.status.value
    assert f"true <b>{int(p.labels[i])}</b>, predicted <b>{int(p.preds[i])}</b>" in browser.status.value
    return i, int(p.labels[i]), int(p.preds[i])


def test_predictions_for_keeps_every_sample_in_loader_order():
    images, labels, preds, probs = widgets.predictions_for(FirstTen(), make_loader(batch_size=4))
    assert images.shape == (10, 784) and labels.tolist() == LABELS and preds.tolist() == PREDS
    assert probs.shape == (10, 10)
    torch.testing.assert_close(probs.sum(dim=1), torch.ones(10))


def test_select_indices_filters_and_sorts_by_confidence():
    _, labels, preds, probs = widgets.predictions_for(FirstTen(), make_loader())
    select = lambda **kw: widgets.select_indices(labels, preds, probs, **kw).tolist()  # noqa: E731
    assert select() == list(range(10))
    assert select(only_mistakes=True) == [1, 4, 7, 9]
    assert select(only_mistakes=True, sort_by_confidence=True) == [4, 7, 9, 1]  # logits 6, 4, 3, 2
    assert select(true_class=4) == [4]
    assert select(predicted_class=1) == [7]
    assert select(true_class=4, predicted_class=9) == [4]
    assert select(true_class=4, predicted_class=3) == []
    assert select(sort_by_confidence=True)[:3] == [4, 0, 2]  # logits 6, 5, 4 (ties keep index order)


def test_the_browser_renders_an_image_and_steps_with_clamping(browser):
    assert isinstance(browser, ipywidgets.VBox)
    assert browser.true_class.label == browser.predicted_class.label == "any"
    assert shown(browser) == (0, 0, 0) and bytes(browser.image.value).startswith(b"\x89PNG")
    assert browser.previous_button.disabled
    browser.next_button.click()
    assert shown(browser) == (1, 1, 7) and "mistake" in browser.status.value
    browser.previous_button.click()
    browser.previous_button.click()  # already at the start: stays there
    assert browser.index == 0 and browser.slider.value == 0
    browser.slider.value = 9
    assert shown(browser) == (9, 9, 4) and browser.next_button.disabled
    browser.next_button.click()  # already at the end
    assert browser.index == 9 and browser.position == 9
    browser.jump.value = 5
    assert shown(browser) == (5, 5, 5) and browser.slider.value == 5
    browser.show(-3)
    assert browser.index == 0
    browser.show(42)
    assert browser.index == 9


def test_the_browser_filters_mistakes_and_shows_the_most_confident_first(browser):
    browser.only_mistakes.value = True
    assert shown(browser) == (1, 1, 7) and browser.slider.max == 3 and "(1 of 4)" in browser.status.value
    browser.sort_by_confidence.value = True
    assert shown(browser) == (4, 4, 9)
    browser.next_button.click()
    assert shown(browser) == (7, 7, 1)
    browser.predicted_class.value = 4
    assert shown(browser) == (9, 9, 4) and browser.slider.disabled
    browser.jump.value = 2  # not a mistake: stays, and says why
    assert browser.index == 9 and "not in the current selection" in browser.status.value
    assert browser.jump.value == 9 and browser.status.value.count("not in the current selection") == 1
    browser.jump.value = 3
    assert browser.status.value.count("not in the current selection") == 1
    browser.predicted_class.label = "any"
    assert len(browser.selection) == 4


def test_an_empty_selection_says_so_instead_of_failing(browser):
    browser.true_class.value = 4
    browser.predicted_class.value = 3
    assert browser.index is None
    assert "No images with true class 4 predicted as 3" in browser.status.value
    assert browser.next_button.disabled and browser.previous_button.disabled
    browser.next_button.click()
    browser.slider.value = 0
    assert browser.index is None and browser.image.layout.display == "none"
    browser.only_mistakes.value = True
    assert "No mistakes with true class 4 predicted as 3" in browser.status.value
    browser.predicted_class.value = 9
    assert shown(browser) == (4, 4, 9) and browser.image.layout.display is None


def test_a_confusion_cell_opens_exactly_its_images():
    torch.manual_seed(0)
    model = FNN(hidden1=16, hidden2=16)
    dataset = TensorDataset(torch.rand(60, 784), torch.randint(0, 10, (60,)))
    loader = DataLoader(dataset, batch_size=16)  # a plain torch DataLoader works too
    p = widgets.predictions_for(model, loader)
    confusion = confusion_matrix(p.labels, p.preds, 10)
    true_class, predicted_class = divmod(int(confusion.flatten().argmax()), 10)
    cell = widgets.browse_confusion_cell(model, loader, true_class, predicted_class)
    assert len(cell.selection) == confusion[true_class, predicted_class] > 0
    assert all(p.labels[i] == true_class and p.preds[i] == predicted_class for i in cell.selection)
    confidences = p.probs[cell.selection, predicted_class]
    assert torch.all(confidences[:-1] >= confidences[1:])  # most confident first


def test_the_browser_refuses_a_class_the_model_does_not_have():
    with pytest.raises(ValueError, match=r"true_class must be None or a class in 0\.\.9"):
        widgets.PredictionBrowser(FirstTen(), make_loader(), true_class=10)


class Recorder(nn.Module):
    """A fixed linear model that remembers its last input."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(784, 10)
        torch.manual_seed(0)
        nn.init.normal_(self.linear.weight)

    def forward(self, x):
        self.seen = x.clone()
        return self.linear(x)


def seven(paper=0, ink=255):
    picture = Image.new("L", (280, 280), paper)
    ImageDraw.Draw(picture).line([(60, 60), (200, 60), (110, 230)], fill=ink, width=20)
    return picture


def test_digit_canvas_predicts_a_synthetic_image_through_mnist_preprocessing():
    model = Recorder()
    canvas = widgets.DigitCanvas(model)
    prediction = canvas.predict_image(np.asarray(seven()))
    expected = mnist_style(seven())
    torch.testing.assert_close(model.seen[0], expected)
    probs = torch.softmax(model.linear(expected), dim=0)
    torch.testing.assert_close(prediction.probs, probs)
    assert prediction.label == int(probs.argmax())
    assert f"prediction: <b>{prediction.label}</b>" in canvas.status.value
    assert bytes(canvas.result.value).startswith(b"\x89PNG") and canvas.result.layout.display is None
    assert model.training  # the model's mode is left as it was


def test_digit_canvas_feeds_normalized_input_when_asked():
    model = Recorder()
    widgets.DigitCanvas(model, mean=0.5, std=0.25).predict_image(seven())
    torch.testing.assert_close(model.seen[0], (mnist_style(seven()) - 0.5) / 0.25)


def test_digit_canvas_records_strokes_and_says_when_it_is_empty():
    model = Recorder()
    canvas = widgets.DigitCanvas(model)
    assert canvas.predict() is None and "canvas is empty" in canvas.status.value
    assert canvas.result.layout.display == "none"

    canvas.pen_move(10, 10)  # moving without pressing draws nothing
    canvas.pen_down(60, 60)
    for x, y in [(200, 60), (110, 230)]:
        canvas.pen_move(x, y)
    canvas.pen_up()
    canvas.pen_move(270, 270)
    assert canvas.strokes == [[(60, 60), (200, 60), (110, 230)]]
    drawing = canvas.drawing()
    assert drawing.shape == (280, 280) and drawing[60, 130] == 255 and drawing[270, 270] == 0
    prediction = canvas.predict()
    assert prediction is not None
    torch.testing.assert_close(model.seen[0], mnist_style(drawing))
    # the same seven drawn with round ends: alike up to a one-pixel shift of the centre of mass
    seen, expected = model.seen[0].view(28, 28), mnist_style(seven())
    assert max(torch.nn.functional.cosine_similarity(torch.roll(seen, (dy, dx), (0, 1)).flatten(), expected,
                                                     dim=0) for dy in (-1, 0, 1) for dx in (-1, 0, 1)) > 0.95

    canvas.clear_button.click()
    assert canvas.strokes == [] and canvas.prediction is None and canvas.predict() is None


def png_bytes(picture) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def test_digit_upload_reads_an_uploaded_file_like_the_canvas():
    model = Recorder()
    upload = widgets.DigitUpload(model)
    upload.upload.value = ({"name": "seven.png", "type": "image/png", "size": 1,
                            "last_modified": datetime.now(timezone.utc),
                            "content": memoryview(png_bytes(seven(paper=255, ink=0)))},)
    assert upload.prediction is not None
    torch.testing.assert_close(model.seen[0], mnist_style(seven()))
    assert f"prediction: <b>{upload.prediction.label}</b>" in upload.status.value


def test_digit_upload_explains_an_unreadable_or_blank_file():
    upload = widgets.DigitUpload(Recorder())
    assert upload.predict_bytes(b"not an image") is None
    assert "Could not read the file as an image" in upload.status.value
    assert upload.predict_bytes(png_bytes(Image.new("RGB", (64, 48), "white"))) is None
    assert "blank" in upload.status.value and upload.result.layout.display == "none"


def decoded(data: bytes) -> np.ndarray:
    """A PNG's pixels as a uint8 array."""
    return np.asarray(Image.open(io.BytesIO(data)))


def test_digit_png_shows_each_pixel_as_a_sharp_square():
    pixels = torch.zeros(784)
    pixels[0], pixels[28 * 5 + 7], pixels[783] = 1.0, 0.5, 0.2  # rows 0, 5, 27
    shown = decoded(widgets.digit_png(pixels, scale=4))
    assert shown.shape == (112, 112) and shown.dtype == np.uint8
    assert (shown[0:4, 0:4] == 255).all() and (shown[20:24, 28:32] == 128).all()  # round(0.5 * 255)
    assert (shown[108:, 108:] == 51).all() and shown.sum() == 16 * (255 + 128 + 51)  # nothing else lit


def test_digit_png_stretches_a_normalized_image_like_imshow():
    pixels = torch.full((784,), -0.5)  # a normalized background
    pixels[0] = 3.0
    shown = decoded(widgets.digit_png(pixels, scale=1))
    assert shown[0, 0] == 255 and shown[0, 1] == 0 and shown.max() == 255


def test_digit_png_puts_the_picture_beside_the_model_view_at_the_same_height():
    picture = np.ones((60, 30))  # a white, portrait picture
    shown = decoded(widgets.digit_png(torch.zeros(784), picture=picture, scale=2))
    assert shown.shape == (56, 28 + 4 + 56)  # the picture scaled to 56 px high, a 4 px gap, the digit
    assert (shown[:, :28] == 255).all() and (shown[:, 32:] == 0).all()


def test_probability_bars_are_as_tall_as_the_probabilities_and_mark_the_classes():
    probs = torch.tensor([0.1, 0.6, 0.3])
    bars = widgets.probability_bars_html(probs, label=2)  # a mistake: predicted 1, true 2
    heights = [int(h) for h in re.findall(r"height:(\d+)px;width", bars)]
    assert heights == [round(widgets.BAR_HEIGHT * p) for p in (0.1, 0.6, 0.3)]
    cells = re.findall(r"<div class='(fnn-bar(?: fnn-\w+)*)'[^>]*>.*?background:(\w+);([^']*)'", bars)
    assert cells == [("fnn-bar", widgets.BAR_COLOR, ""),
                     ("fnn-bar fnn-predicted", widgets.MISTAKE_COLOR, ""),
                     ("fnn-bar fnn-true", widgets.BAR_COLOR, "outline:2px solid black;")]
    assert "predicted 1 (60.0 %)" in bars and "class 2: 30.0 %" in bars
    right = widgets.probability_bars_html(probs, label=1)
    assert "fnn-bar fnn-predicted fnn-true' title='class 1: 60.0 %'" in right
    assert f"background:{widgets.CORRECT_COLOR}" in right
    assert "fnn-true" not in widgets.probability_bars_html(probs)  # no label: no class outlined


def test_each_step_of_the_browser_shows_its_own_digit_and_bars(browser):
    p = browser.predictions
    browser.show(4)  # true 4, predicted 9
    assert bytes(browser.image.value) == widgets.digit_png(p.images[4])
    assert browser.bars.value == widgets.probability_bars_html(p.probs[4], label=4)
    assert "fnn-bar fnn-predicted' title='class 9" in browser.bars.value
    browser.true_class.value = 4
    browser.predicted_class.value = 3
    assert browser.bars.layout.display == "none"


def test_the_canvas_reads_the_drawing_after_each_stroke_only():
    model = Recorder()
    canvas = widgets.DigitCanvas(model)
    canvas.pen_up()  # the mouse leaves the canvas without drawing: nothing to read
    assert canvas.prediction is None and not hasattr(model, "seen")
    canvas.pen_down(60, 60)
    for x, y in [(200, 60), (110, 230)]:
        canvas.pen_move(x, y)
    canvas.pen_up()
    assert canvas.prediction is not None
    assert f"prediction: <b>{canvas.prediction.label}</b>" in canvas.status.value
    torch.testing.assert_close(model.seen[0], mnist_style(canvas.drawing()))
    assert bytes(canvas.result.value) == widgets.digit_png(canvas.prediction.pixels)
    assert canvas.bars.value == widgets.probability_bars_html(canvas.prediction.probs)
    assert canvas.result.layout.display is None and canvas.bars.layout.display is None
