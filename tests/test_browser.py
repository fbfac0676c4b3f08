"""The widgets in a real JupyterLab, driven through Chromium: they render, step, draw and predict.

Screenshots go to build/screenshots/ (git-ignored). The test also measures how long each
interaction takes from the learner's action to the new picture and text in the page (prints it and
writes build/latency.json); a measurement, not a timed assertion.
"""

import io
import json
import re
import shutil
import statistics
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect, sync_playwright

from workshop_lib.lab_server import CHROMIUM_ARGS, KERNEL_READY, RUN_ALL, find_chromium, private_lab

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = Path(__file__).parent / "browser" / "widgets_demo.ipynb"
SCREENSHOTS = ROOT / "build" / "screenshots"
LATENCY_JSON = ROOT / "build" / "latency.json"
SHOWN = re.compile(r"image (\d+) \((\d+) of (\d+)\): true (\d+), predicted (\d+)")

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def chromium() -> str:
    """Chromium's path; installs it with `make browser` when missing, skips only if that fails."""
    path = find_chromium()
    if path is None and shutil.which("make"):
        subprocess.run(["make", "-s", "browser"], cwd=ROOT, check=False)
        path = find_chromium()
    if path is None:
        pytest.skip("Chromium is not installed and `make browser` could not install it "
                    "(it needs apt-get and root or sudo): install chromium to run this test.")
    return path


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory):
    """A private JupyterLab serving the demo notebook; always shut down."""
    with private_lab(NOTEBOOK, tmp_path_factory.mktemp("lab")) as url:
        yield url


def shown(widget) -> tuple[int, int, int, int]:
    """(index, total, true, predicted) from the prediction browser's status line."""
    match = SHOWN.search(widget.locator(".fnn-shown").inner_text())
    assert match, widget.inner_text()
    index, _, total, true, pred = map(int, match.groups())
    return index, total, true, pred


def settled(picture, before: str | None) -> None:
    """Wait until an <img> shows a new picture, loaded, so a screenshot catches the new one."""
    expect(picture).not_to_have_attribute("src", before or "")
    loaded = "img => img.complete && img.naturalWidth > 0"
    picture.page.wait_for_function(loaded, arg=picture.element_handle())


def ink_on(canvas) -> float:
    """The fraction of bright pixels on the canvas as the browser shows it."""
    shot = np.asarray(Image.open(io.BytesIO(canvas.screenshot())).convert("L"))
    return float((shot > 200).mean())


def draw(page, canvas, points, hz: float | None = None) -> None:
    """A mouse stroke through `points` given as fractions of the canvas's width and height.

    `hz`: mouse events per second, as a hand moves the mouse (about 60 in a browser); None sends
    them as fast as Playwright can.
    """
    box = canvas.bounding_box()
    at = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in points]
    page.mouse.move(*at[0])
    page.mouse.down()
    for (x0, y0), (x1, y1) in zip(at, at[1:]):
        if hz is None:
            page.mouse.move(x1, y1, steps=8)
            continue
        for step in range(1, 9):
            page.wait_for_timeout(1000 / hz)
            page.mouse.move(x0 + (x1 - x0) * step / 8, y0 + (y1 - y0) * step / 8)
    page.mouse.up()


# In the page: watch a widget until its text (`selector`) and its <img> both show something new.
# Times are the page's own performance.now(), from `t0` (set just before the click is dispatched, or
# by the capturing "mouseup" listener at the end of a stroke) to the mutation in the DOM; the picture
# counts once its new src is decoded, ready to paint. A step that keeps the same image (the same
# index in a new selection) counts as done with its text.
WATCH = """([root, selector]) => {
    const text = () => { const e = root.querySelector(selector); return e ? e.textContent : ""; };
    const index = t => { const m = /image (\\d+)/.exec(t); return m ? m[1] : null; };
    const picture = () => root.querySelector("img");
    const beforeText = text(), beforeSrc = picture() ? picture().src : null;
    const watch = {t0: null};
    watch.done = new Promise(resolve => {
        let tText = null, tImage = null, decoding = false;
        const finish = () => {
            if (tText === null || tImage === null || watch.t0 === null) return;
            observer.disconnect();
            clearTimeout(timer);
            resolve({text: tText - watch.t0, all: Math.max(tText, tImage) - watch.t0});
        };
        const check = () => {
            const now = performance.now(), shown = text(), img = picture();
            if (tText === null && shown && shown !== beforeText) {
                tText = now;
                if (index(shown) !== null && index(shown) === index(beforeText)) tImage = tImage ?? now;
            }
            if (tImage === null && !decoding && img && img.src && img.src !== beforeSrc) {
                decoding = true;
                img.decode().catch(() => null).then(() => { tImage = performance.now(); finish(); });
            }
            finish();
        };
        const observer = new MutationObserver(check);
        observer.observe(root, {subtree: true, childList: true, characterData: true, attributes: true});
        const timer = setTimeout(() => { observer.disconnect(); resolve(null); }, 60000);
    });
    window.fnnWatch = watch;
    window.addEventListener("mouseup", () => { watch.t0 = watch.t0 ?? performance.now(); },
                            {capture: true, once: true});
}"""
CLICK = """([root, kind, option]) => {
    const find = (css, words) => [...root.querySelectorAll(css)].find(e => e.textContent.includes(words));
    window.fnnWatch.t0 = performance.now();
    if (kind === "button") {
        find("button", option).click();
    } else if (kind === "checkbox") {
        find(".widget-checkbox", option).querySelector("input").click();
    } else {  // a dropdown: [its description, the option's position]
        const select = find(".widget-dropdown", option[0]).querySelector("select");
        select.selectedIndex = option[1];
        select.dispatchEvent(new Event("change", {bubbles: true}));
    }
}"""


def timed(page, root, selector: str, act) -> dict:
    """Milliseconds from an action to its new text (`text`) and to text and picture both (`all`)."""
    page.evaluate(WATCH, [root, selector])
    act()
    result = page.evaluate("() => window.fnnWatch.done")
    assert result is not None, f"the widget did not update within 60 s ({selector})"
    page.wait_for_timeout(150)  # let the kernel go idle: each step is timed on its own
    return result


def summary(samples: list[dict]) -> dict:
    """Median and max, in ms, of the text-only and the whole-update times."""
    out = {"n": len(samples)}
    for key in ("text", "all"):
        values = [sample[key] for sample in samples]
        out[key] = {"median_ms": round(statistics.median(values), 1), "max_ms": round(max(values), 1),
                    "samples_ms": [round(v, 1) for v in values]}
    return out


def report_latency(latency: dict) -> None:
    """Print the latencies against the 100 ms goal and write them to build/latency.json."""
    print("\nclick-to-update latency in JupyterLab (ms; text = label only, all = label and picture):")
    for name, stats in latency.items():
        print(f"  {name:<34} n={stats['n']:>2}  text median {stats['text']['median_ms']:6.1f} "
              f"max {stats['text']['max_ms']:6.1f}   all median {stats['all']['median_ms']:6.1f} "
              f"max {stats['all']['max_ms']:6.1f}   (goal: median <= 100)")
    LATENCY_JSON.parent.mkdir(parents=True, exist_ok=True)
    LATENCY_JSON.write_text(json.dumps(latency, indent=2) + "\n")


@pytest.fixture
def black_on_white_seven(tmp_path) -> Path:
    """A gray-on-white "7" on a non-square RGB picture, as a phone photo of paper might be."""
    picture = Image.new("RGB", (300, 400), (235, 230, 220))
    ImageDraw.Draw(picture).line([(80, 90), (230, 90), (130, 330)], fill=(40, 40, 50), width=24)
    path = tmp_path / "seven.png"
    picture.save(path)
    return path


@pytest.mark.timeout(300)  # fail, do not hang, if the page never gets there; the server is shut down
def test_widgets_render_step_draw_and_predict_in_jupyterlab(chromium, jupyterlab, black_on_white_seven):
    from workshop_lib.data import mnist_dataset

    test_labels = mnist_dataset(train=False).targets
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(60_000)
            expect.set_options(timeout=60_000)  # the kernel answers slowly on a busy machine; 5 s by default
            page.goto(jupyterlab)
            page.wait_for_function(KERNEL_READY, polling=250)  # run-all before that pops up a kernel dialog
            page.evaluate(RUN_ALL)

            # The prediction browser: a rendered widget, not an error and not a text repr.
            widget = page.locator(".fnn-prediction-browser").first
            expect(widget.locator(".fnn-shown")).to_be_visible(timeout=90_000)
            index, total, true, pred = shown(widget)
            assert (index, total, true) == (0, 2000, int(test_labels[0]))
            picture = widget.locator("img")
            expect(picture).to_be_visible()
            widget.scroll_into_view_if_needed()
            widget.screenshot(path=SCREENSHOTS / "prediction_browser_initial.png")

            before = picture.get_attribute("src")
            widget.get_by_role("button", name="next").click()
            expect(widget.locator(".fnn-shown")).to_contain_text("image 1 (2 of 2000)")
            assert shown(widget)[:3] == (1, 2000, int(test_labels[1]))
            settled(picture, before)
            widget.screenshot(path=SCREENSHOTS / "prediction_browser_after_next.png")

            before = picture.get_attribute("src")
            widget.get_by_role("checkbox", name="only mistakes").check()
            expect(widget.locator(".fnn-shown")).to_contain_text("mistake")
            index, total, true, pred = shown(widget)
            assert true != pred and total < 2000
            settled(picture, before)
            widget.screenshot(path=SCREENSHOTS / "prediction_browser_only_mistakes.png")

            # Latency: "next", the "only mistakes" filter and the true-class filter, step by step.
            latency = {}
            root = widget.element_handle()
            click = lambda kind, option: lambda: page.evaluate(CLICK, [root, kind, option])  # noqa: E731
            latency["browser: next"] = summary(
                [timed(page, root, ".fnn-shown", click("button", "next")) for _ in range(20)])
            latency["browser: only-mistakes filter"] = summary(
                [timed(page, root, ".fnn-shown", click("checkbox", "only mistakes")) for _ in range(10)])
            latency["browser: true-class filter"] = summary(
                [timed(page, root, ".fnn-shown", click("dropdown", ["true class", 1 + c % 10]))
                 for c in range(10)])

            # The canvas: draw a "7" with the mouse, press predict.
            digit = page.locator(".fnn-digit-canvas").first
            digit.scroll_into_view_if_needed()
            canvas = digit.locator("canvas").first
            expect(canvas).to_be_visible()
            draw(page, canvas, [(0.25, 0.2), (0.75, 0.2), (0.45, 0.85)])
            deadline = time.monotonic() + 30  # the kernel draws the stroke back onto the canvas
            while ink_on(canvas) < 0.02 and time.monotonic() < deadline:
                time.sleep(0.25)
            assert ink_on(canvas) >= 0.02, "the stroke did not appear on the canvas"
            digit.get_by_role("button", name="predict").click()
            expect(digit.locator(".fnn-digit-prediction")).to_contain_text("prediction:")
            prediction = digit.locator(".fnn-digit-prediction").inner_text()
            assert re.search(r"prediction: \d \(\d+\.\d %\)", prediction), prediction
            expect(digit.locator("img")).to_be_visible()
            digit.screenshot(path=SCREENSHOTS / "digit_canvas_prediction.png")

            digit.get_by_role("button", name="clear").click()
            expect(digit).to_contain_text("Draw a digit with the mouse")
            digit.get_by_role("button", name="predict").click()
            expect(digit).to_contain_text("The canvas is empty")

            # Latency: the end of a stroke (mouse up) to the new prediction, on a cleared canvas each time;
            # the stroke at 60 mouse events a second, as a hand draws (not a burst the kernel queues).
            samples = []
            for i in range(8):
                digit.get_by_role("button", name="clear").click()
                expect(digit).to_contain_text("Draw a digit with the mouse")
                shift = 0.02 * (i + 1)  # a different drawing each time, so each result is a new picture
                stroke = [(0.25 + shift, 0.2), (0.75, 0.2 + shift), (0.45 - shift, 0.85)]
                samples.append(timed(page, digit.element_handle(), ".fnn-digit-prediction",
                                     lambda: draw(page, canvas, stroke, hz=60)))  # noqa: B023
            latency["canvas: stroke -> prediction"] = summary(samples)
            report_latency(latency)

            # Training curves and the confusion matrix: one picture each, the cell on (4, 9) browsable.
            cells = page.locator(".jp-Notebook .jp-CodeCell")
            confusion = cells.filter(has_text="plot_confusion_matrix(evaluation)").locator(".jp-OutputArea")
            expect(confusion.locator("img")).to_have_count(1)
            confusion.screenshot(path=SCREENSHOTS / "confusion_matrix.png")
            curves = cells.filter(has_text="trainer.train(epochs)").locator(".jp-OutputArea")
            expect(curves.locator("img")).to_have_count(1)
            curves.screenshot(path=SCREENSHOTS / "live_curves.png")
            cell_browser = cells.filter(has_text="browse_confusion_cell(model").locator(
                ".fnn-prediction-browser")
            one_cell = re.compile(r"true 4, predicted 9|No images with true class 4")
            expect(cell_browser).to_contain_text(one_cell)
            cell_browser.screenshot(path=SCREENSHOTS / "confusion_cell_4_predicted_9.png")

            # The upload: a black-on-white photo-like PNG through the real file input.
            upload = page.locator(".fnn-digit-upload").first
            upload.scroll_into_view_if_needed()
            before = upload.locator("img").get_attribute("src")
            with page.expect_file_chooser() as chooser:  # ipywidgets' file input is not in the page
                upload.locator("button").first.click()
            chooser.value.set_files(black_on_white_seven)
            expect(upload.locator(".fnn-digit-prediction")).to_contain_text("prediction:")
            settled(upload.locator("img"), before)
            upload.screenshot(path=SCREENSHOTS / "digit_upload_prediction.png")

            page_text = page.locator(".jp-Notebook").inner_text()
            assert "Error displaying widget" not in page_text
            assert "VBox(children" not in page_text and "Traceback" not in page_text
        finally:
            browser.close()
