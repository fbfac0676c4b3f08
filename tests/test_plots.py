import os
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")  # no display: draw to memory

import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402
from nbclient import NotebookClient  # noqa: E402
from torch import nn  # noqa: E402

from workshop_lib import plots  # noqa: E402
from workshop_lib.data import TensorBatchLoader  # noqa: E402
from workshop_lib.fnn import FNN  # noqa: E402
from workshop_lib.network_trainer import History, NetworkTrainer, sum_correct_preds  # noqa: E402
from workshop_lib.network_user import confusion_matrix  # noqa: E402


def image_axes(fig):
    return [ax for ax in fig.axes if ax.images]


def test_show_images_titles_labels_and_highlights_mistakes():
    images = torch.rand(8, 784)
    labels = torch.tensor([5, 1, 2, 3, 4, 5, 6, 7])
    fig = plots.show_images(images, labels, ncols=3)
    assert [ax.get_title() for ax in image_axes(fig)] == [f"label {int(v)}" for v in labels]
    assert len(fig.axes) == 9  # 3 rows of 3, the last one left empty
    assert fig.number not in plt.get_fignums()  # closed: it shows once, as the cell's value

    preds = torch.tensor([3, 1, 2, 3, 4, 5, 6, 0])
    axes = image_axes(plots.show_images(images.view(8, 28, 28).numpy(), labels, preds))
    assert axes[0].get_title() == "true 5 / pred 3" and axes[1].get_title() == "true 1 / pred 1"
    red = to_rgba(plots.MISTAKE_COLOR)
    wrong = [i for i, ax in enumerate(axes) if to_rgba(ax.title.get_color()) == red]
    assert wrong == [0, 7]
    np.testing.assert_allclose(axes[2].images[0].get_array(), images[2].view(28, 28).numpy())


def test_show_images_rejects_mismatched_or_malformed_input():
    with pytest.raises(ValueError, match="4 images but 3 labels"):
        plots.show_images(torch.rand(4, 784), torch.arange(3))
    with pytest.raises(ValueError, match=r"\[N, 784\] or \[N, 28, 28\]"):
        plots.show_images(torch.rand(4, 100), torch.arange(4))


def test_label_distribution_bars_are_the_fractions_and_counts_per_digit():
    train = torch.tensor([0, 0, 0, 1, 2, 2, 9, 9, 9, 9])
    test = np.array([1, 1, 3, 3])
    fig = plots.plot_label_distribution({"train": train, "test": test})
    heights = [bar.get_height() for bar in fig.axes[0].patches if bar.get_width() > 0][:20]
    expected_train = [0.3, 0.1, 0.2, 0, 0, 0, 0, 0, 0, 0.4]
    expected_test = [0, 0.5, 0, 0.5, 0, 0, 0, 0, 0, 0]
    np.testing.assert_allclose(heights, expected_train + expected_test)

    loader = TensorBatchLoader(torch.zeros(10, 784), train, batch_size=3)
    counts = plots.plot_label_distribution({"train": loader}, stat="count")
    bars = [bar.get_height() for bar in counts.axes[0].patches if bar.get_width() > 0][:10]
    np.testing.assert_allclose(bars, [3, 1, 2, 0, 0, 0, 0, 0, 0, 4])
    with pytest.raises(ValueError, match="stat"):
        plots.plot_label_distribution({"train": train}, stat="percent")


def history(epochs=3, accuracy=True):
    h = History()
    for e in range(epochs):
        h.train_loss.append(1.0 / (e + 1))
        h.val_loss.append(1.2 / (e + 1))
        if accuracy:
            h.train_accuracy.append(50.0 + 10 * e)
            h.val_accuracy.append(45.0 + 10 * e)
    return h


def test_plot_history_draws_loss_and_accuracy_per_epoch():
    h = history(3)
    fig = plots.plot_history(h)
    loss_ax, acc_ax = fig.axes
    assert [list(line.get_ydata()) for line in loss_ax.lines] == [h.train_loss, h.val_loss]
    assert [list(line.get_ydata()) for line in acc_ax.lines] == [h.train_accuracy, h.val_accuracy]
    assert list(loss_ax.lines[0].get_xdata()) == [1, 2, 3]

    assert len(plots.plot_history(history(2, accuracy=False)).axes) == 1
    with pytest.raises(ValueError, match="empty"):
        plots.plot_history(History())


def test_confusion_matrix_heatmap_shows_the_hand_computed_counts():
    y_true = torch.tensor([0, 0, 1, 2, 2, 2, 1])
    y_pred = torch.tensor([0, 1, 1, 2, 0, 2, 1])
    by_hand = [[1, 1, 0],  # true 0: once right, once taken for a 1
               [0, 2, 0],  # true 1: both right
               [1, 0, 2]]  # true 2: one taken for a 0
    confusion = confusion_matrix(y_true, y_pred, 3)
    assert confusion.tolist() == by_hand
    fig = plots.plot_confusion_matrix(confusion)
    ax = fig.axes[0]
    shown = [int(t.get_text()) for t in ax.texts]
    assert shown == [v for row in by_hand for v in row]  # row by row: rows are the true class
    assert ax.get_ylabel() == "true class" and ax.get_xlabel() == "predicted class"
    assert "7 images" in ax.get_title() and "71.43 %" in ax.get_title()

    hidden = plots.plot_confusion_matrix(confusion, hide_diagonal=True).axes[0]
    assert [int(t.get_text()) for t in hidden.texts] == [1, 0, 0, 0, 1, 0]
    with pytest.raises(ValueError, match="square"):
        plots.plot_confusion_matrix(torch.zeros(3, 4))


def test_live_curves_outside_ipython_keeps_the_latest_curves():
    torch.manual_seed(0)
    x, y = torch.rand(32, 784), torch.randint(0, 10, (32,))
    model = FNN(hidden1=8, hidden2=8)
    loader = TensorBatchLoader(x, y, 8)
    live = plots.LiveCurves()
    trainer = NetworkTrainer(model, nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.1),
                             loader, loader, callbacks=[live], progress=False,
                             sum_correct_preds=sum_correct_preds)
    trainer.train(2)
    assert live.curves.epochs == 2 and repr(live.curves) == "<training curves after 2 epochs>"
    assert live.curves._repr_png_().startswith(b"\x89PNG")
    assert len(live.curves.figure.axes) == 2  # loss and accuracy


TRAINING_CELLS = [
    """\
import os
import torch
from torch import nn
from workshop_lib.data import TensorBatchLoader
from workshop_lib.fnn import FNN
from workshop_lib.network_trainer import NetworkTrainer, sum_correct_preds
from workshop_lib.plots import LiveCurves

torch.manual_seed(0)
x, y = torch.rand(64, 784), torch.randint(0, 10, (64,))

def train(epochs):
    model = FNN(hidden1=8, hidden2=8)
    loader = TensorBatchLoader(x, y, 16)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    trainer = NetworkTrainer(model, nn.CrossEntropyLoss(), optimizer, loader, loader,
                             callbacks=[LiveCurves()], progress=False, sum_correct_preds=sum_correct_preds)
    return trainer.train(epochs)""",
    '# NBVAL_CHECK_OUTPUT\nos.environ["WORKSHOP_HEADLESS"] = "1"\n_ = train(3)',
    'os.environ["WORKSHOP_HEADLESS"] = "0"\n_ = train(4)',
    'print("next cell")',
]


@pytest.mark.notebooks
def test_live_curves_leave_exactly_one_final_figure_in_an_executed_notebook(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(src) for src in TRAINING_CELLS])
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()  # what papermill runs
    setup, headless_cell, live_cell, next_cell = nb.cells

    for cell, epochs in ((headless_cell, 3), (live_cell, 4)):
        assert len(cell.outputs) == 1 and "image/png" in cell.outputs[0]["data"], cell.outputs
        assert cell.outputs[0]["data"]["text/plain"] == f"<training curves after {epochs} epochs>"
    assert next_cell.outputs[0]["text"] == "next cell\n" and len(next_cell.outputs) == 1

    # nbval re-runs the headless cell and compares its outputs (their number included) with these.
    nb.cells = [setup, headless_cell]
    nbformat.write(nb, tmp_path / "curves.ipynb")
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax", "curves.ipynb"],
        cwd=tmp_path, env={**os.environ, "WORKSHOP_HEADLESS": "1"}, capture_output=True, text=True,
    )
    assert run.returncode == 0 and "2 passed" in run.stdout, run.stdout[-3000:]
