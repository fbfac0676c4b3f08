"""Widgets to see the model: browse its predictions, draw or upload a digit, train settings from sliders.

Each widget is a thin layer over plain functions (`predictions_for`, `select_indices`,
`predict_digit`, `experiments.train_setting`), which are tested without a browser.
"""

from __future__ import annotations

import html
import io
from typing import NamedTuple

import ipywidgets as widgets
import numpy as np
import torch
from PIL import Image, ImageDraw
from torch import nn

from .experiments import DEFAULTS, Run, run_name, runs_table, settings_of, train_setting
from .fnn import ACTIVATIONS
from .network_user import eval_outputs
from .plots import MISTAKE_COLOR, plot_runs
from .preprocessing import BlankImageError, PreprocessingError, mnist_style, open_image, to_gray

CORRECT_COLOR, BAR_COLOR = "seagreen", "lightsteelblue"


class Predictions(NamedTuple):
    """A model's outputs on every sample of a loader, in loader order, on the CPU."""

    images: torch.Tensor  # [N, 784] as the loader gave them
    labels: torch.Tensor  # [N] int64
    preds: torch.Tensor  # [N] int64, argmax of the logits
    probs: torch.Tensor  # [N, C] softmax of the logits


def _probabilities(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Softmax of the model's logits for `x [B, 784]`, in eval mode; the model's mode is restored."""
    logits = eval_outputs(model, x)
    if logits.ndim != 2:
        raise ValueError(
            f"The model should map [B, 784] images to [B, C] logits, but returned shape "
            f"{tuple(logits.shape)}."
        )
    return torch.softmax(logits.float(), dim=1).cpu()


def predictions_for(model: nn.Module, loader) -> Predictions:
    """Run `model` over a loader of `(x [B, 784], y [B])` batches and keep everything."""
    images, labels, probs = [], [], []
    for x, y in loader:
        images.append(x.detach().cpu().reshape(len(x), -1))
        labels.append(y.detach().cpu().long())
        probs.append(_probabilities(model, x))
    if not labels:
        raise ValueError("The loader yielded no batches: there is nothing to browse.")
    probs, labels = torch.cat(probs), torch.cat(labels)
    if labels.min() < 0 or labels.max() >= probs.shape[1]:
        raise ValueError(f"The loader's labels run from {int(labels.min())} to {int(labels.max())}, but the "
                         f"model has {probs.shape[1]} classes (0..{probs.shape[1] - 1}). Check the loader.")
    return Predictions(torch.cat(images), labels, probs.argmax(dim=1), probs)


def select_indices(
    labels: torch.Tensor,
    preds: torch.Tensor,
    probs: torch.Tensor,
    only_mistakes: bool = False,
    true_class: int | None = None,
    predicted_class: int | None = None,
    sort_by_confidence: bool = False,
) -> torch.Tensor:
    """Indices `[M]` of the samples that pass the filters, optionally most confident first.

    Confidence is the probability of the predicted class, so with `only_mistakes` the first
    images are the ones the model got wrong most confidently.
    """
    for name, value in (("true_class", true_class), ("predicted_class", predicted_class)):
        check_class(value, name, probs.shape[1])
    keep = torch.ones(len(labels), dtype=torch.bool)
    if only_mistakes:
        keep &= labels != preds
    if true_class is not None:
        keep &= labels == true_class
    if predicted_class is not None:
        keep &= preds == predicted_class
    indices = torch.nonzero(keep).flatten()
    if sort_by_confidence and len(indices):
        confidence = probs[indices, preds[indices]]
        indices = indices[torch.argsort(confidence, descending=True, stable=True)]
    return indices


def check_class(value, name: str, num_classes: int) -> None:
    """Raise a clear error unless `value` is None or a class number 0..num_classes-1."""
    if value is None:
        return
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be None or a whole number 0..{num_classes - 1}, got {value!r}.")
    if not 0 <= value < num_classes:
        raise ValueError(f"{name} must be None or a class in 0..{num_classes - 1}, got {value}.")


def describe_selection(only_mistakes: bool, true_class: int | None, predicted_class: int | None) -> str:
    """Plain words for a set of filters, e.g. "mistakes with true class 4 predicted as 9"."""
    words = ["mistakes" if only_mistakes else "images"]
    if true_class is not None:
        words.append(f"with true class {true_class}")
    if predicted_class is not None:
        words.append(f"predicted as {predicted_class}")
    return " ".join(words)


DIGIT_SCALE = 4  # each of the 28x28 pixels shown as 4x4 screen pixels: a 112x112 picture
BAR_HEIGHT = 100  # px of a bar at probability 1


def png(picture: Image.Image) -> bytes:
    """The PNG file of a Pillow image."""
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def _gray_image(values) -> Image.Image:
    """A Pillow grayscale image of `[H, W]` values, 0 black and 1 white.

    Values outside [0, 1] (a normalized loader's images) are stretched to fit, as `imshow` does.
    """
    array = np.asarray(values, dtype=np.float32)
    low, high = min(0.0, float(array.min())), max(1.0, float(array.max()))
    array = (array - low) / (high - low)
    return Image.fromarray(np.rint(array * 255).astype(np.uint8), mode="L")


def digit_png(pixels, picture=None, scale: int = DIGIT_SCALE) -> bytes:
    """PNG of [optional original picture] [the 28x28 input, each pixel `scale`x`scale`].

    `pixels` is `[784]` or `[28, 28]` in [0, 1], as the model sees it (or normalized: stretched);
    `picture` a `[H, W]` grayscale array in [0, 1], scaled to the same height. Pillow only: no figure.
    """
    pixels = np.asarray(pixels, dtype=np.float32)
    if pixels.size != 28 * 28:
        raise ValueError(f"Expected a 28x28 image (784 pixels), got shape {pixels.shape}: use mnist_style.")
    digit = _gray_image(pixels.reshape(28, 28))
    digit = digit.resize((28 * scale, 28 * scale), Image.Resampling.NEAREST)  # sharp pixels, as in MNIST
    if picture is None:
        return png(digit)
    original = _gray_image(picture)
    width = max(1, round(original.width * digit.height / original.height))
    original = original.resize((width, digit.height), Image.Resampling.BILINEAR)
    gap = 2 * scale
    both = Image.new("L", (width + gap + digit.width, digit.height), 255)  # white between the two
    both.paste(original, (0, 0))
    both.paste(digit, (width + gap, 0))
    return png(both)


def probability_bars_html(probs: torch.Tensor, label: int | None = None) -> str:
    """HTML bars of the C class probabilities: the predicted class coloured, the true one outlined.

    The predicted bar is green when it matches `label` (or no label is given), red when it does not;
    each bar is `BAR_HEIGHT * p` pixels tall and names its class and percentage on hover.
    """
    probs = torch.as_tensor(probs, dtype=torch.float32).flatten()
    pred = int(probs.argmax())
    bars = []
    for c, p in enumerate(probs.tolist()):
        color = BAR_COLOR
        if c == pred:
            color = MISTAKE_COLOR if label is not None and label != pred else CORRECT_COLOR
        kinds = "fnn-bar" + (" fnn-predicted" if c == pred else "") + (" fnn-true" if c == label else "")
        outline = "outline:2px solid black;" if c == label else ""  # a mistake shows both bars
        bars.append(
            f"<div class='{kinds}' title='class {c}: {100 * p:.1f} %' style='display:flex;"
            f"flex-direction:column;justify-content:flex-end;align-items:center;width:22px'>"
            f"<div style='height:{max(1, round(BAR_HEIGHT * p))}px;width:16px;background:{color};{outline}'>"
            f"</div><div style='font-size:11px;line-height:14px'>{c}</div></div>"
        )
    return (
        f"<div class='fnn-bars' style='display:inline-block;margin-left:12px'>"
        f"<div style='font-size:12px'>predicted {pred} ({100 * probs[pred]:.1f} %)</div>"
        f"<div style='display:flex;align-items:flex-end;gap:2px;height:{BAR_HEIGHT + 16}px;"
        f"border-bottom:1px solid #999'>{''.join(bars)}</div></div>"
    )


ANY = -1  # the class dropdowns' "any": a Dropdown cannot show a label for the value None


def _or_any(c: int | None) -> int:
    return ANY if c is None else c


def _class_or_none(value: int | None) -> int | None:
    return None if value in (None, ANY) else value


class PredictionBrowser(widgets.VBox):
    """Step through a loader's images with the model's prediction and its class probabilities.

    Filters: only mistakes, a true class, a predicted class; sorting puts the most confident
    first (with "only mistakes": the worst mistakes first). Display it as a cell's last expression.
    """

    def __init__(
        self,
        model: nn.Module,
        loader,
        only_mistakes: bool = False,
        true_class: int | None = None,
        predicted_class: int | None = None,
        sort_by_confidence: bool = False,
    ):
        self.predictions = predictions_for(model, loader)
        n, num_classes = self.predictions.probs.shape
        for name, value in (("true_class", true_class), ("predicted_class", predicted_class)):
            check_class(value, name, num_classes)
        self.selection = torch.zeros(0, dtype=torch.long)
        self.position = 0
        self._busy = False  # True while the widget sets its own controls

        classes = [("any", ANY)] + [(str(c), c) for c in range(num_classes)]
        self.only_mistakes = widgets.Checkbox(value=only_mistakes, description="only mistakes", indent=False)
        self.true_class = widgets.Dropdown(
            options=classes, value=_or_any(true_class), description="true class"
        )
        self.predicted_class = widgets.Dropdown(
            options=classes, value=_or_any(predicted_class), description="predicted"
        )
        self.sort_by_confidence = widgets.Checkbox(
            value=sort_by_confidence, description="most confident first", indent=False
        )
        self.previous_button = widgets.Button(description="previous", icon="arrow-left")
        self.next_button = widgets.Button(description="next", icon="arrow-right")
        self.slider = widgets.IntSlider(min=0, max=0, description="position", continuous_update=False)
        self.jump = widgets.BoundedIntText(min=0, max=n - 1, description="image #")
        self.status = widgets.HTML()
        self.image = widgets.Image(format="png")  # the digit, 112x112: a small PNG replaced in place
        self.bars = widgets.HTML()  # the class probabilities as HTML bars

        for control in (self.only_mistakes, self.true_class, self.predicted_class, self.sort_by_confidence):
            control.observe(lambda _: self.refresh(), names="value")
        self.previous_button.on_click(lambda _: self.show(self.position - 1))
        self.next_button.on_click(lambda _: self.show(self.position + 1))
        self.slider.observe(lambda change: self._unless_busy(self.show, change["new"]), names="value")
        self.jump.observe(lambda change: self._unless_busy(self.show_image, change["new"]), names="value")

        filters = widgets.HBox([self.only_mistakes, self.true_class, self.predicted_class,
                                self.sort_by_confidence])
        steps = widgets.HBox([self.previous_button, self.slider, self.next_button, self.jump])
        super().__init__([filters, steps, self.status, widgets.HBox([self.image, self.bars])])
        self.add_class("fnn-prediction-browser")
        self.refresh()

    def _unless_busy(self, action, value) -> None:
        if not self._busy:
            action(value)

    @property
    def index(self) -> int | None:
        """The dataset index of the image shown, None when the selection is empty."""
        return int(self.selection[self.position]) if len(self.selection) else None

    def refresh(self) -> None:
        """Apply the filters and sorting again and show the first image of the selection."""
        p = self.predictions
        self.selection = select_indices(
            p.labels, p.preds, p.probs, self.only_mistakes.value, _class_or_none(self.true_class.value),
            _class_or_none(self.predicted_class.value), self.sort_by_confidence.value,
        )
        self.show(0)

    def show(self, position: int) -> None:
        """Show the selection's image at `position`, clamped to the selection."""
        m = len(self.selection)
        self.position = max(0, min(int(position), m - 1)) if m else 0
        self._busy = True
        try:
            self.slider.max = max(m - 1, 0)
            self.slider.value = self.position
            if m:
                self.jump.value = self.index
        finally:
            self._busy = False
        self.slider.disabled = m <= 1
        self.previous_button.disabled = m == 0 or self.position == 0
        self.next_button.disabled = m == 0 or self.position == m - 1
        if m == 0:
            what = describe_selection(self.only_mistakes.value, _class_or_none(self.true_class.value),
                                      _class_or_none(self.predicted_class.value))
            total = len(self.predictions.labels)
            self.status.value = f"<b>No {html.escape(what)}</b> in these {total} images."
            self.image.layout.display = self.bars.layout.display = "none"
            return
        self.image.layout.display = self.bars.layout.display = None
        self._render(self.index)

    def show_image(self, index: int) -> None:
        """Jump to dataset index `index` if the current selection holds it."""
        hits = torch.nonzero(self.selection == index).flatten()
        if len(hits):
            self.show(int(hits[0]))
        else:
            self.show(self.position)  # the shown image's own status line and number again
            self.status.value += (
                f"<br><i>Image {index} is not in the current selection: clear the filters to see it.</i>"
            )

    def _render(self, index: int) -> None:
        p = self.predictions
        label, pred = int(p.labels[index]), int(p.preds[index])
        verdict = "correct" if label == pred else "mistake"
        color = CORRECT_COLOR if label == pred else MISTAKE_COLOR
        self.image.value = digit_png(p.images[index])
        self.bars.value = probability_bars_html(p.probs[index], label=label)
        self.status.value = (  # last: once the text shows, the picture has been sent too
            f"<span class='fnn-shown'>image <b>{index}</b> ({self.position + 1} of {len(self.selection)}): "
            f"true <b>{label}</b>, predicted <b>{pred}</b> ({100 * p.probs[index, pred]:.1f} %) "
            f"<span style='color:{color}'>{verdict}</span></span>"
        )


def browse_confusion_cell(
    model: nn.Module, loader, true_class: int, predicted_class: int
) -> PredictionBrowser:
    """The images behind one cell of the confusion matrix, most confident first."""
    return PredictionBrowser(model, loader, true_class=true_class, predicted_class=predicted_class,
                             sort_by_confidence=True)


class DigitPrediction(NamedTuple):
    label: int
    probs: torch.Tensor  # [C]
    pixels: torch.Tensor  # [784] in [0, 1]: what the model sees, before normalization


def predict_digit(
    model: nn.Module, image, mean: float | None = None, std: float | None = None
) -> DigitPrediction:
    """Preprocess any digit picture the MNIST way and classify it; raises `BlankImageError`."""
    if (mean is None) != (std is None):
        raise ValueError("Give both mean and std (to normalize like the training data) or neither.")
    if std is not None and not std > 0:
        raise ValueError(f"std must be positive, e.g. the training data's 0.3081; got {std}.")
    pixels = mnist_style(image)  # [784] in [0, 1]
    x = pixels if mean is None else (pixels - mean) / std
    probs = _probabilities(model, x.unsqueeze(0))[0]
    return DigitPrediction(int(probs.argmax()), probs, pixels)


def read_digit(model: nn.Module, image) -> int:
    """The digit `model` reads in any picture: `predict_digit`'s answer alone."""
    return predict_digit(model, image).label


class _DigitReader(widgets.VBox):
    """What the canvas and the upload share: preprocess, predict, show the result or a message."""

    def __init__(self, model: nn.Module, normalize: bool, mean: float | None, std: float | None, children):
        if normalize and mean is None:
            from .data import mnist_mean_std

            mean, std = mnist_mean_std()
        self.model, self.mean, self.std = model, mean, std
        self.status = widgets.HTML()
        self.result = widgets.Image(format="png")  # [the picture] what the model sees: a small PNG
        self.bars = widgets.HTML()  # the class probabilities as HTML bars
        self.result.layout.display = self.bars.layout.display = "none"
        self.prediction: DigitPrediction | None = None
        super().__init__([*children, self.status, widgets.HBox([self.result, self.bars])])

    def predict_image(self, image, picture=None) -> DigitPrediction | None:
        """Classify an image and show the result; None (and a message) when it is blank."""
        try:
            self.prediction = predict_digit(self.model, image, self.mean, self.std)
        except BlankImageError:
            return self.say(self.blank_message)
        except PreprocessingError as err:
            return self.say(str(err))
        label, probs = self.prediction.label, self.prediction.probs
        self.result.value = digit_png(self.prediction.pixels, picture=picture)
        self.bars.value = probability_bars_html(probs)
        self.result.layout.display = self.bars.layout.display = None
        seen = "your picture and what the model sees" if picture is not None else "what the model sees"
        self.status.value = (  # last: once the text shows, the picture has been sent too
            f"<span class='fnn-digit-prediction'>prediction: <b>{label}</b> "
            f"({100 * probs[label]:.1f} %)</span> <i>(below: {seen})</i>"
        )
        return self.prediction

    def say(self, message: str) -> None:
        """Show a message instead of a prediction."""
        self.prediction = None
        self.status.value = f"<b>{html.escape(message)}</b>"
        self.result.layout.display = self.bars.layout.display = "none"

    blank_message = "The image is blank: there is no digit to read."


# The canvas's default pen, as a fraction of its side: 24 px on 280. A digit drawn 170 px tall then has
# MNIST's stroke (0.14 of its height) as drawn; read through mnist_style, pens of 6 to 36 px read alike
# (95 to 96 %), through the older preparation 20 to 28 px read best (benchmarks/canvas_pen.py).
PEN = 24 / 280


class DigitCanvas(_DigitReader):
    """Draw a digit with the mouse (or a finger) and see what the model thinks after each stroke.

    `normalize=True` (or `mean`, `std`) when the model was trained on normalized images.
    """

    blank_message = "The canvas is empty: draw a digit with the mouse, then press predict."

    def __init__(self, model: nn.Module, normalize: bool = False, mean: float | None = None,
                 std: float | None = None, size: int = 280, line_width: int | None = None):
        from ipycanvas import Canvas, hold_canvas

        self._hold = hold_canvas
        self.size = size
        self.line_width = line_width or max(2, round(size * PEN))
        self.strokes: list[list[tuple[float, float]]] = []
        self._drawing = False
        self.canvas = Canvas(width=size, height=size)
        self.canvas.layout.width = self.canvas.layout.height = f"{size}px"
        self.canvas.line_width = self.line_width
        self.canvas.line_cap = self.canvas.line_join = "round"
        self.canvas.on_mouse_down(self.pen_down)
        self.canvas.on_mouse_move(self.pen_move)
        self.canvas.on_mouse_up(lambda x, y: self.pen_up())
        self.canvas.on_mouse_out(lambda x, y: self.pen_up())
        self.canvas.on_touch_start(lambda touches: self.pen_down(*touches[0]))
        self.canvas.on_touch_move(lambda touches: self.pen_move(*touches[0]))
        self.canvas.on_touch_end(lambda touches: self.pen_up())
        self.predict_button = widgets.Button(description="predict", button_style="primary", icon="search")
        self.clear_button = widgets.Button(description="clear", icon="eraser")
        self.predict_button.on_click(lambda _: self.predict())
        self.clear_button.on_click(lambda _: self.clear())
        buttons = widgets.HBox([self.predict_button, self.clear_button])
        super().__init__(model, normalize, mean, std, [self.canvas, buttons])
        self.add_class("fnn-digit-canvas")
        self.clear()

    def pen_down(self, x: float, y: float) -> None:
        self._drawing = True
        self.strokes.append([(x, y)])
        with self._hold():
            self.canvas.fill_circle(x, y, self.line_width / 2)

    def pen_move(self, x: float, y: float) -> None:
        if not self._drawing:
            return
        x0, y0 = self.strokes[-1][-1]
        self.strokes[-1].append((x, y))
        with self._hold():
            self.canvas.stroke_line(x0, y0, x, y)

    def pen_up(self) -> None:
        """End the stroke and read the drawing (mouse-out ends it too; only a real stroke predicts)."""
        if self._drawing:
            self._drawing = False
            self.predict()

    def drawing(self) -> np.ndarray:
        """The strokes so far as a white-on-black uint8 image `[size, size]`."""
        picture = Image.new("L", (self.size, self.size), 0)
        pen = ImageDraw.Draw(picture)
        r = self.line_width / 2
        for stroke in self.strokes:
            if len(stroke) > 1:
                pen.line(stroke, fill=255, width=self.line_width, joint="curve")
            for x, y in stroke:  # round ends and joints, as on the canvas
                pen.ellipse((x - r, y - r, x + r, y + r), fill=255)
        return np.asarray(picture)

    def predict(self) -> DigitPrediction | None:
        """Classify what is drawn; None (and a message) when the canvas is empty."""
        return self.predict_image(self.drawing())

    def clear(self) -> None:
        self.strokes = []
        self._drawing = False
        with self._hold():
            self.canvas.clear()
            self.canvas.fill_style = "black"
            self.canvas.fill_rect(0, 0, self.size, self.size)
            self.canvas.fill_style = self.canvas.stroke_style = "white"
        self.prediction = None
        self.status.value = ("Draw a digit with the mouse: the model reads it after each stroke "
                             "(or press <b>predict</b>).")
        self.result.layout.display = self.bars.layout.display = "none"


class DigitUpload(_DigitReader):
    """Upload a photo or a Paint/GIMP drawing of a digit and see what the model thinks."""

    blank_message = "The picture is blank: no digit stands out from the background. Try another picture."

    def __init__(self, model: nn.Module, normalize: bool = False, mean: float | None = None,
                 std: float | None = None):
        self.upload = widgets.FileUpload(accept="image/*", multiple=False, description="upload a digit")
        self.upload.observe(self._on_upload, names="value")
        super().__init__(model, normalize, mean, std, [self.upload])
        self.add_class("fnn-digit-upload")
        self.status.value = "Upload a picture of one digit (PNG, JPEG, ...): dark on light or light on dark."

    def _on_upload(self, change) -> None:
        if change["new"]:
            self.predict_bytes(bytes(change["new"][-1]["content"]))  # ipywidgets 8: a tuple of dicts

    def predict_bytes(self, data: bytes) -> DigitPrediction | None:
        """Classify an image file's bytes; a message instead when it is unreadable or blank."""
        try:
            picture = to_gray(open_image(data))  # [H, W] in [0, 1], shown next to the model's view
        except PreprocessingError as err:
            return self.say(str(err))
        return self.predict_image(picture, picture=picture)


class Playground:
    """Sliders for the hyperparameters, a Train button, curves of every run overlaid.

    A thin layer over `experiments.train_setting` and `plots.plot_runs`: `on_train(button)` is all
    a click does.
    """

    NEURONS = [16, 32, 64, 128, 256, 512]

    def __init__(self, data, epochs: int = 3, seed: int = 0, device=None):
        w = widgets
        self.data, self.seed, self.device = data, seed, device
        self.runs: list[Run] = []
        self.neurons = w.SelectionSlider(options=self.NEURONS, value=DEFAULTS["neurons"],
                                         description="neurons")
        self.hidden_layers = w.IntSlider(value=DEFAULTS["hidden_layers"], min=0, max=5, description="layers")
        self.activation = w.Dropdown(options=sorted(ACTIVATIONS), value=DEFAULTS["activation"],
                                     description="activation")
        self.learning_rate = w.FloatLogSlider(value=DEFAULTS["learning_rate"], base=10, min=-5, max=-1,
                                              step=0.5, description="learning rate")
        self.epochs = w.IntSlider(value=epochs, min=1, max=20, description="epochs")
        self.train_button = w.Button(description="Train", button_style="primary", icon="play")
        self.clear_button = w.Button(description="Clear runs", icon="trash")
        self.status = w.HTML()
        self.output = w.Output()
        self.train_button.on_click(self.on_train)
        self.clear_button.on_click(self.on_clear)
        controls = w.VBox([self.neurons, self.hidden_layers, self.activation, self.learning_rate, self.epochs,
                           w.HBox([self.train_button, self.clear_button]), self.status])
        self.widget = w.VBox([controls, self.output])

    def settings(self) -> dict:
        """The setting the controls show now."""
        return settings_of(neurons=self.neurons.value, hidden_layers=self.hidden_layers.value,
                           activation=self.activation.value, learning_rate=self.learning_rate.value)

    def on_train(self, _button=None) -> Run:
        """Train the shown setting, add it to the runs, redraw."""
        settings = self.settings()
        self.train_button.disabled = True
        self.status.value = f"training {run_name(settings)} ..."

        def report(trainer, history):
            self.status.value = (f"training {run_name(settings)}: epoch {history.epochs}/"
                                 f"{self.epochs.value}, val acc {history.val_accuracy[-1]:.2f}%")

        try:
            run = train_setting(settings, self.data, self.epochs.value, self.seed, self.device, [report])
        finally:
            self.train_button.disabled = False
        self.runs.append(run)
        self.status.value = f"{run.name}: val acc {run.history.val_accuracy[-1]:.2f}% ({len(self.runs)} runs)"
        self.redraw()
        return run

    def on_clear(self, _button=None) -> None:
        self.runs.clear()
        self.status.value = "no runs yet"
        self.redraw()

    def redraw(self) -> None:
        from IPython.display import display

        self.output.clear_output(wait=True)
        if self.runs:
            with self.output:
                display(plot_runs(self.runs[-8:]))  # the last 8: more curves are unreadable
                display(runs_table(self.runs)[["run", "parameters", "val_loss", "val_accuracy", "seconds"]])

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
