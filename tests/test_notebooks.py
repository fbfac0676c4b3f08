"""Every lesson runs top to bottom, as a solution and as shipped to learners (no exercise done),
at CI size; nbval checks the committed solution outputs that must not change.

CI size, by convention: in a notebook's parameters cell, `subset_size` becomes 2000 and every
`epochs` or `..._epochs` becomes 1 (so a new lesson is small here with no change to this file);
NOTEBOOK_PARAMETERS[notebook] adds what a lesson needs beyond that.
"""

import ast
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))
CI_SUBSET_SIZE, CI_EPOCHS = 2000, 1
NOTEBOOK_PARAMETERS = {"03_train_and_evaluate": {"neighbour_seeds": [1]}}
SANITIZE = ROOT / "tests" / "nbval_sanitize.cfg"

pytestmark = [pytest.mark.notebooks, pytest.mark.timeout(600)]


def parameter_names(nb) -> set[str]:
    """The names assigned in the cell tagged `parameters`."""
    cells = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1, "a lesson needs exactly one cell tagged 'parameters'"
    tree = ast.parse(cells[0].source)
    return {t.id for node in tree.body if isinstance(node, ast.Assign) for t in node.targets
            if isinstance(t, ast.Name)}


def ci_parameters(path: Path) -> dict:
    names = parameter_names(nbformat.read(path, as_version=4))
    parameters = {name: CI_EPOCHS for name in names if name == "epochs" or name.endswith("_epochs")}
    if "subset_size" in names:
        parameters["subset_size"] = CI_SUBSET_SIZE
    parameters.update(NOTEBOOK_PARAMETERS.get(path.stem, {}))
    unknown = set(parameters) - names
    assert not unknown, f"{path.name}'s parameters cell does not define {sorted(unknown)}"
    return parameters


def printed(nb) -> str:
    """Everything the executed notebook printed."""
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs
                   if o.output_type == "stream")


def execute(path: Path, tmp_path: Path, monkeypatch):
    import papermill

    monkeypatch.setenv("WORKSHOP_HEADLESS", "1")  # the kernel inherits it: plain-text progress, static plots
    monkeypatch.setenv("WORKSHOP_ANSWERS_DIR", str(tmp_path / "answers"))  # each run starts with none saved
    out = tmp_path / path.name
    papermill.execute_notebook(
        str(path), str(out), parameters=ci_parameters(path), kernel_name="python3",
        cwd=str(tmp_path), progress_bar=False, log_output=False,
    )
    return nbformat.read(out, as_version=4)


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem)
def test_solution_notebook_runs_and_every_check_passes(path, tmp_path, monkeypatch):
    text = printed(execute(path, tmp_path, monkeypatch))
    assert "Not yet right" not in text and "Not done yet" not in text, text


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem)
def test_student_notebook_runs_as_shipped_on_the_reference(path, tmp_path, monkeypatch):
    student = ROOT / "notebooks" / path.name
    assert student.exists(), f"{student} is missing: run `make notebooks`"
    nb = execute(student, tmp_path, monkeypatch)
    text = printed(nb)
    exercises = sum("raise NotImplementedError()" in c.source for c in nb.cells if c.cell_type == "code")
    verdicts = text.count("Not done yet [")
    assert "Correct [" not in text and "Not yet right" not in text, text
    assert verdicts >= 1 if exercises else verdicts == 0, text
    assert verdicts == 0 or "The lesson continues with the reference" in text


def nbval_notebooks() -> list[Path]:
    """Lessons opt in to nbval by marking at least one cell `# NBVAL_CHECK_OUTPUT`."""
    return [p for p in SOLUTIONS if "# NBVAL_CHECK_OUTPUT" in p.read_text(encoding="utf-8")]


def test_committed_solution_outputs_still_match_nbval():
    """One nbval run over every opted-in lesson (one interpreter start, not one per lesson)."""
    paths = nbval_notebooks()
    assert paths, "no solution notebook has a cell marked # NBVAL_CHECK_OUTPUT"
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax",
               "--nbval-sanitize-with", str(SANITIZE), *map(str, paths)]
    env = {**os.environ, "WORKSHOP_HEADLESS": "1"}
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, (
        f"nbval found differences (if a change is intended, re-run the notebook with "
        f"`make run-solutions` and copy it back to solutions/):\n{result.stdout[-6000:]}\n"
        f"{result.stderr[-2000:]}"
    )
