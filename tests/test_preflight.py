import json
import re
import subprocess
import sys
from pathlib import Path

import jupyter_core.paths
import nbformat
import pytest

from workshop_lib import preflight

ROOT = Path(__file__).resolve().parents[1]
SUMMARY = re.compile(
    r"^PREFLIGHT (?P<verdict>OK|FAIL\[[a-z,]+\]) python=(?P<python>\d+\.\d+\.\d+) torch=(?P<torch>\S+) "
    r"device=(?P<device>\S+) epoch=(?P<epoch>\S+) lesson03=(?P<lesson03>\S+) disk=(?P<disk>\S+) "
    r"ram=(?P<ram>\S+) widgets=(?P<widgets>\S+) os=\S+$"
)


def last_line(out: str) -> re.Match:
    match = SUMMARY.match(out.strip().splitlines()[-1])
    assert match, out
    return match


def test_preflight_passes_on_a_ready_machine_and_ends_with_one_line(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # the widget notebook is written into the current folder
    assert preflight.main(["--no-render"]) == 0
    out = capsys.readouterr().out
    assert "[FAIL]" not in out and "ready for the workshop" in out
    line = last_line(out)
    assert line["verdict"] == "OK" and line["python"] == ".".join(map(str, sys.version_info[:3]))
    assert line["widgets"] == "installed" and re.fullmatch(r"\d+\.\dGB", line["disk"])
    epoch = float(line["epoch"].removesuffix("s"))
    assert line["lesson03"] == f"~{max(1, round(preflight.LESSON03_EPOCHS * epoch / 60))}min"
    notebook = nbformat.read(tmp_path / preflight.WIDGET_NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    assert "IntSlider" in notebook.cells[1].source
    assert f"run `python -m jupyterlab {preflight.WIDGET_NOTEBOOK}` in {tmp_path}" in out


def test_python_below_3_10_fails_with_a_fix_that_needs_no_make(capsys):
    too_old = r"Python 3\.9\.6 is too old: the workshop needs Python 3\.10"
    with pytest.raises(preflight.Problem, match=too_old):
        preflight.check_python({}, (3, 9, 6, "final", 0))
    old_python = ("python", lambda facts: preflight.check_python(facts, (3, 9, 6, "final", 0)))
    assert preflight.main([], checks=[old_python, ("packages", preflight.check_versions)]) == 1
    out = capsys.readouterr().out
    assert "[FAIL] python: Python 3.9.6 is too old" in out and "py -3.11 -m venv .venv" in out
    assert "[SKIP] packages: needs Python 3.10" in out and "`make" not in out
    line = last_line(out)
    assert line["verdict"] == "FAIL[python]" and line["python"] == "3.9.6" and line["epoch"] == "?"


def test_low_disk_and_memory_fail_with_the_thresholds(capsys, monkeypatch):
    monkeypatch.setattr(preflight, "free_disk_bytes", lambda folder: 300_000_000)
    monkeypatch.setattr(preflight, "available_memory_bytes", lambda: 1_500_000_000)
    checks = [("disk", preflight.check_disk), ("memory", preflight.check_memory)]
    assert preflight.main([], checks=checks) == 1
    out = capsys.readouterr().out
    assert "[FAIL] disk: only 0.3GB free" in out and "the lessons need 1 GB" in out
    assert "[FAIL] memory: only 1.5GB of memory available; a lesson needs about 2 GB" in out
    line = last_line(out)
    assert line["verdict"] == "FAIL[disk,memory]" and line["disk"] == "0.3GB" and line["ram"] == "1.5GB"


def test_enough_disk_and_memory_pass(capsys, monkeypatch):
    monkeypatch.setattr(preflight, "free_disk_bytes", lambda folder: 1_000_000_000)
    monkeypatch.setattr(preflight, "available_memory_bytes", lambda: 2_000_000_000)
    checks = [("disk", preflight.check_disk), ("memory", preflight.check_memory)]
    assert preflight.main([], checks=checks) == 0
    assert last_line(capsys.readouterr().out)["verdict"] == "OK"


def test_an_old_package_is_named_with_a_pip_command(capsys, monkeypatch):
    monkeypatch.setitem(preflight.MIN_VERSIONS, "torch", "99.0")
    assert preflight.main([], checks=[("packages", preflight.check_versions)]) == 1
    out = capsys.readouterr().out
    assert "[FAIL] packages: torch" in out and "older than 99.0" in out
    assert "python -m pip install -c constraints.txt -e ." in out and "`make" not in out


def test_widgets_without_their_jupyterlab_extension_fail(monkeypatch, tmp_path):
    monkeypatch.setattr(jupyter_core.paths, "jupyter_path", lambda *parts: [str(tmp_path)])
    assert preflight.lab_extensions_missing() == ["ipywidgets", "ipycanvas"]
    with pytest.raises(preflight.Problem, match="front-end extension") as problem:
        preflight.check_widgets({}, folder=tmp_path)
    assert "python -m pip install --upgrade ipywidgets jupyterlab_widgets" in problem.value.fix


def test_the_lesson03_estimate_counts_the_epochs_lesson_03_trains():
    notebook = json.loads((ROOT / "solutions" / "03_train_and_evaluate.ipynb").read_text())
    parameters = next(c for c in notebook["cells"] if "parameters" in c["metadata"].get("tags", []))
    values: dict = {}
    exec("".join(parameters["source"]), values)  # noqa: S102  (the notebook's own parameters cell)
    assert preflight.LESSON03_EPOCHS == values["epochs"] * (1 + len(values["neighbour_seeds"]))


def test_preflight_runs_as_a_plain_script(tmp_path):
    script = [sys.executable, str(ROOT / "workshop_lib" / "preflight.py"), "--skip-training", "--no-render"]
    result = subprocess.run(script,
                            cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    line = last_line(result.stdout)
    assert line["verdict"] == "OK" and line["epoch"] == "skipped" and line["lesson03"] == "?"


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.timeout(300)
def test_preflight_sees_a_widget_render_in_jupyterlab(tmp_path):
    if preflight.can_render() is None:
        pytest.skip("needs Playwright and Chromium (`make browser`)")
    facts: dict = {}
    said = preflight.check_widgets(facts, folder=tmp_path)
    assert facts["widgets"] == "rendered" and "rendered in JupyterLab" in said


def test_a_damaged_mnist_file_is_named_with_its_fix(capsys, monkeypatch, mnist_copy):
    gz = mnist_copy / "MNIST" / "raw" / "t10k-labels-idx1-ubyte.gz"
    gz.write_bytes(gz.read_bytes()[:1000])
    monkeypatch.setenv("WORKSHOP_MNIST_DIR", str(mnist_copy))
    assert preflight.main([], checks=[("data", preflight.check_data)]) == 1
    out = capsys.readouterr().out
    assert f"[FAIL] data: {gz} is not a valid gzip file" in out
    assert f"fix: copy the original file into {gz.parent}" in out and "`make" not in out
    assert last_line(out)["verdict"] == "FAIL[data]"
