"""Widgets to see the model: browse its predictions, draw or upload a digit, train settings from sliders.

Each widget is a thin layer over plain functions (`predictions_for`, `select_indices`,
`predict_digit`, `experiments.train_setting`), which are tested without a browser.
"""

from __future__ import annotations

import html
from typing import NamedTuple

import ipywidgets as widgets
import numpy as np
import torch
from matplotlib.figure import Figure
from PIL import Image, ImageDraw
from torch import nn

from .experiments import DEFAULTS, Run, run_name, runs_table, settings_of, train_setting
from .fnn import ACTIVATIONS
from .network_user import eval_outputs
from .plots import MISTAKE_COLOR, figure_png, plot_runs
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
    probs = torch.cat(probs)
    return Predictions(torch.cat(images), torch.cat(labels), probs.argmax(dim=1), probs)


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


def describe_selection(only_mistakes: bool, true_class: int | None, predicted_class: int | None) -> str:
    """Plain words for a set of filters, e.g. "mistakes with true class 4 predicted as 9"."""
    words = ["mistakes" if only_mistakes else "images"]
    if true_class is not None:
        words.append(f"with true class {true_class}")
    if predicted_class is not None:
        words.append(f"predicted as {predicted_class}")
    return " ".join(words)


def prediction_png(
    image, probs: torch.Tensor, label: int | None = None, picture=None, picture_title: str = "your picture"
) -> bytes:
    """PNG of [optional original picture] [the 28x28 input] [bar chart of the C probabilities]."""
    pixels = np.asarray(image, dtype=np.float32).reshape(28, 28)
    probs = torch.as_tensor(probs).flatten()
    pred = int(probs.argmax())
    panels = 3 if picture is not None else 2
    fig = Figure(figsize=(2.4 * (panels - 1) + 4.2, 2.6))
    axes = fig.subplots(1, panels, gridspec_kw={"width_ratios": [1] * (panels - 1) + [1.8]})
    if picture is not None:
        axes[0].imshow(picture, cmap="gray")
        axes[0].set_title(picture_title, fontsize=9)
        axes[0].axis("off")
    ax_image, ax_bars = axes[-2], axes[-1]
    ax_image.imshow(pixels, cmap="gray")
    ax_image.set_title("what the model sees" if label is None else f"true {label}", fontsize=9)
    ax_image.axis("off")
    colors = [BAR_COLOR] * len(probs)
    colors[pred] = MISTAKE_COLOR if label is not None and label != pred else CORRECT_COLOR
    ax_bars.bar(range(len(probs)), probs.numpy(), color=colors)
    if label is not None:  # outline the true class, so a mistake shows both bars
        ax_bars.bar([label], [probs[label].item()], fill=False, edgecolor="black", linewidth=1.5)
    ax_bars.set_xticks(range(len(probs)))
    ax_bars.set_ylim(0, 1)
    ax_bars.set_xlabel("class")
    ax_bars.set_title(f"predicted {pred} ({100 * probs[pred]:.1f} %)", fontsize=9)
    fig.tight_layout()
    return figure_png(fig)


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
            if value is not None and not 0 <= value < num_classes:
                raise ValueError(f"{name} must be None or a class in 0..{num_classes - 1}, got {value}.")
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
        self.image = widgets.Image(format="png")

        for control in (self.only_mistakes, self.true_class, self.predicted_class, self.sort_by_confidence):
            control.observe(lambda _: self.refresh(), names="value")
        self.previous_button.on_click(lambda _: self.show(self.position - 1))
        self.next_button.on_click(lambda _: self.show(self.position + 1))
        self.slider.observe(lambda change: self._unless_busy(self.show, change["new"]), names="value")
        self.jump.observe(lambda change: self._unless_busy(self.show_image, change["new"]), names="value")

        filters = widgets.HBox([self.only_mistakes, self.true_class, self.predicted_class,
                                self.sort_by_confidence])
        steps = widgets.HBox([self.previous_button, self.slider, self.next_button, self.jump])
        super().__init__([filters, steps, self.status, self.image])
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
            self.image.layout.display = "none"
            return
        self.image.layout.display = None
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
        self.image.value = prediction_png(p.images[index], p.probs[index], label=label)
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
        self.result = widgets.Image(format="png")
        self.result.layout.display = "none"
        self.prediction: DigitPrediction | None = None
        super().__init__([*children, self.status, self.result])

    def predict_image(self, image, picture=None) -> DigitPrediction | None:
        """Classify an image and show the result; None (and a message) when it is blank."""
        try:
            self.prediction = predict_digit(self.model, image, self.mean, self.std)
        except BlankImageError:
            return self.say(self.blank_message)
        except PreprocessingError as err:
            return self.say(str(err))
        label, probs = self.prediction.label, self.prediction.probs
        self.result.value = prediction_png(self.prediction.pixels, probs, picture=picture)
        self.result.layout.display = None
        self.status.value = (  # last: once the text shows, the picture has been sent too
            f"<span class='fnn-digit-prediction'>prediction: <b>{label}</b> "
            f"({100 * probs[label]:.1f} %)</span>"
        )
        return self.prediction

    def say(self, message: str) -> None:
        """Show a message instead of a prediction."""
        self.prediction = None
        self.status.value = f"<b>{html.escape(message)}</b>"
        self.result.layout.display = "none"

    blank_message = "The image is blank: there is no digit to read."


class DigitCanvas(_DigitReader):
    """Draw a digit with the mouse (or a finger), press "predict", see what the model thinks.

    `normalize=True` (or `mean`, `std`) when the model was trained on normalized images.
    """

    blank_message = "The canvas is empty: draw a digit with the mouse, then press predict."

    def __init__(self, model: nn.Module, normalize: bool = False, mean: float | None = None,
                 std: float | None = None, size: int = 280, line_width: int | None = None):
        from ipycanvas import Canvas, hold_canvas

        self._hold = hold_canvas
        self.size = size
        self.line_width = line_width or max(2, size // 14)  # MNIST strokes are ~1/10 of the digit
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
        self._drawing = False

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
        self.status.value = "Draw a digit with the mouse, then press <b>predict</b>."
        self.result.layout.display = "none"


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
