"""Writes the student notebooks in notebooks/ from the solution notebooks in solutions/.

One source, two versions. In a solution notebook:

- code between `### BEGIN SOLUTION` and `### END SOLUTION` becomes `# YOUR CODE HERE` and
  `raise NotImplementedError()`, indented like the BEGIN line;
- markdown between `<!-- BEGIN SOLUTION id=QUESTION_ID -->` and `<!-- END SOLUTION -->` (a written
  answer) becomes a prompt for the learner's own answer, followed by a code cell
  `check.reveal("QUESTION_ID")`; the model answers go to `workshop_lib/checks/model_answers.py`,
  the only copy the package ships (a block without an id just becomes the prompt);
- lines that are only an nbval marker (`# NBVAL_CHECK_OUTPUT`, `# NBVAL_SKIP`, ...) are dropped;
- outputs, execution counts and execution metadata are cleared; the notebook metadata keeps
  only the kernel.

The output is deterministic: the same solutions give byte-identical notebooks.

    python -m workshop_lib.notebook_generator           # write notebooks/ and the model answers
    python -m workshop_lib.notebook_generator --check   # exit 1 if either is out of date
    python -m workshop_lib.notebook_generator --strip-run-metadata build/solutions/*.ipynb
        # drop papermill's run metadata from executed notebooks, keeping their outputs
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS, NOTEBOOKS = ROOT / "solutions", ROOT / "notebooks"
MODEL_ANSWERS = Path(__file__).resolve().parent / "checks" / "model_answers.py"

CODE_BEGIN, CODE_END = "### BEGIN SOLUTION", "### END SOLUTION"
MARKDOWN_BEGIN, MARKDOWN_END = "<!-- BEGIN SOLUTION -->", "<!-- END SOLUTION -->"
ANSWER_PROMPT = "*Your answer (double-click here to write it):*"
ANSWER_ID_MARKER = re.compile(r"^\s*<!-- BEGIN SOLUTION id=([A-Za-z0-9_.-]+) -->\s*$")  # id: group 1
NBVAL_MARKER = re.compile(r"^\s*# NBVAL_[A-Z_]+\s*$")
CELL_METADATA_DROPPED = ("execution", "papermill", "collapsed", "scrolled")


class MarkerError(ValueError):
    """A solution notebook's BEGIN/END SOLUTION markers do not pair up."""


def _replace_blocks(lines: list[str], begin: str, end: str, replacement, where: str) -> list[str]:
    """Replace every begin..end block (marker lines included) by `replacement(indent)`."""
    out: list[str] = []
    indent = None
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if stripped == begin:
            if indent is not None:
                raise MarkerError(f"{where}, line {number}: {begin!r} inside another solution block.")
            indent = line[: len(line) - len(line.lstrip())]
            out.extend(replacement(indent))
        elif stripped == end:
            if indent is None:
                raise MarkerError(f"{where}, line {number}: {end!r} without a {begin!r} before it.")
            indent = None
        elif indent is None:
            out.append(line)
    if indent is not None:
        raise MarkerError(f"{where}: {begin!r} is never closed by {end!r}.")
    return out


def student_source(source: str, cell_type: str, where: str = "cell") -> str:
    """The learner's version of one cell's source."""
    lines = source.split("\n")
    if cell_type == "code":
        lines = [line for line in lines if not NBVAL_MARKER.match(line)]
        lines = _replace_blocks(
            lines, CODE_BEGIN, CODE_END,
            lambda indent: [f"{indent}# YOUR CODE HERE", f"{indent}raise NotImplementedError()"], where,
        )
    elif cell_type == "markdown":
        lines = [MARKDOWN_BEGIN if ANSWER_ID_MARKER.match(line) else line for line in lines]
        lines = _replace_blocks(lines, MARKDOWN_BEGIN, MARKDOWN_END, lambda indent: [ANSWER_PROMPT], where)
    return "\n".join(lines)


def model_answers(source: str) -> dict[str, str]:
    """Question id -> model answer text, for every `BEGIN SOLUTION id=...` block of a markdown cell."""
    answers, qid, lines = {}, None, []
    for line in source.split("\n"):
        match = ANSWER_ID_MARKER.match(line)
        if match:
            qid, lines = match.group(1), []
        elif line.strip() == MARKDOWN_END and qid is not None:
            answers[qid] = "\n".join(lines).strip()
            qid = None
        elif qid is not None:
            lines.append(line)
    return answers


def reveal_cell(qid: str) -> nbformat.NotebookNode:
    """The code cell after a written question in the student notebook: shows the model answer."""
    cell = nbformat.v4.new_code_cell(f'check.reveal("{qid}")')
    cell.id = re.sub(r"[^A-Za-z0-9_-]", "-", f"reveal-{qid}")[:64]  # fixed: the same bytes every time
    return cell


def lesson_model_answers(solution: nbformat.NotebookNode, name: str = "notebook") -> dict[str, str]:
    """Every model answer of one solution notebook, by question id."""
    answers: dict[str, str] = {}
    for index, cell in enumerate(solution.cells):
        if cell.cell_type != "markdown":
            continue
        for qid, text in model_answers(cell.source).items():
            if qid in answers:
                raise MarkerError(f"{name}, cell {index}: the answer id {qid!r} is used twice.")
            answers[qid] = text
    return answers


def _drop_run_metadata(cell: nbformat.NotebookNode) -> None:
    """Drop what a run adds to a cell: timings, papermill's fields and the empty tag lists it writes."""
    for key in CELL_METADATA_DROPPED:
        cell.metadata.pop(key, None)
    if cell.metadata.get("tags") == []:
        del cell.metadata["tags"]


def student_notebook(solution: nbformat.NotebookNode, name: str = "notebook") -> nbformat.NotebookNode:
    """The learner's version of a whole solution notebook; the input is left unchanged."""
    nb = copy.deepcopy(solution)
    # only what choosing the kernel needs: no widget state, no Python version of whoever ran it
    language = {"name": solution.metadata.get("language_info", {}).get("name", "python")}
    nb.metadata = nbformat.from_dict({"kernelspec": solution.metadata.get("kernelspec", {}),
                                      "language_info": language})
    cells = []
    for index, cell in enumerate(nb.cells):
        questions = model_answers(cell.source) if cell.cell_type == "markdown" else {}
        cell.source = student_source(cell.source, cell.cell_type, f"{name}, cell {index}")
        _drop_run_metadata(cell)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cells += [cell, *(reveal_cell(qid) for qid in questions)]
    nb.cells = cells
    return nb


def strip_run_metadata(path: Path) -> None:
    """Remove papermill's and nbclient's run metadata from an executed notebook, in place."""
    nb = nbformat.read(path, as_version=4)
    nb.metadata.pop("papermill", None)
    for cell in nb.cells:
        _drop_run_metadata(cell)
    Path(path).write_text(render(nb), encoding="utf-8")


def render(nb: nbformat.NotebookNode) -> str:
    """The notebook as the exact text written to disk."""
    return nbformat.writes(nb) + "\n"


def expected_notebooks(solutions: Path = SOLUTIONS) -> dict[str, str]:
    """File name -> the text each student notebook must have, for every solution notebook."""
    expected = {}
    for path in sorted(solutions.glob("*.ipynb")):
        solution = nbformat.read(path, as_version=4)
        expected[path.name] = render(student_notebook(solution, path.name))
    return expected


def stale_notebooks(solutions: Path = SOLUTIONS, notebooks: Path = NOTEBOOKS) -> list[str]:
    """Names in notebooks/ that differ from what the generator writes now, or have no solution."""
    expected = expected_notebooks(solutions)
    stale = [
        name for name, text in expected.items()
        if not (notebooks / name).exists() or (notebooks / name).read_text(encoding="utf-8") != text
    ]
    stale += sorted(p.name for p in notebooks.glob("*.ipynb") if p.name not in expected)
    return sorted(stale)


def write_notebooks(solutions: Path = SOLUTIONS, notebooks: Path = NOTEBOOKS) -> list[Path]:
    """Write every student notebook; returns the paths written."""
    notebooks.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in expected_notebooks(solutions).items():
        path = notebooks / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def model_answers_text(solutions: Path = SOLUTIONS) -> str:
    """The generated module holding every lesson's model answers, by lesson and question id."""
    lessons: dict[str, dict[str, str]] = {}
    owner: dict[str, str] = {}
    for path in sorted(solutions.glob("*.ipynb")):
        answers = lesson_model_answers(nbformat.read(path, as_version=4), path.name)
        for qid in answers:
            if qid in owner:
                raise MarkerError(f"{path.name}: the answer id {qid!r} is already used in {owner[qid]}.")
            owner[qid] = path.name
        if answers:
            lessons[path.stem] = answers
    lines = ['"""Model answers of the written questions, by lesson and question id (`check.reveal`).',
             "",
             "Generated by `python -m workshop_lib.notebook_generator` from solutions/: never edit by hand.",
             '"""',
             "# ruff: noqa: E501",
             "",
             "MODEL_ANSWERS: dict[str, dict[str, str]] = {"]
    for lesson, answers in lessons.items():
        lines.append(f"    {lesson!r}: {{")
        lines += [f"        {qid!r}: {text!r}," for qid, text in answers.items()]
        lines.append("    },")
    lines.append("}")
    return "\n".join(lines) + "\n"


def model_answers_stale(solutions: Path = SOLUTIONS, path: Path = MODEL_ANSWERS) -> bool:
    """True when the model answers file differs from what the generator writes now."""
    return not path.exists() or path.read_text(encoding="utf-8") != model_answers_text(solutions)


def write_model_answers(solutions: Path = SOLUTIONS, path: Path = MODEL_ANSWERS) -> Path:
    """Write the model answers file (only when its text changes)."""
    text = model_answers_text(solutions)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only report whether notebooks/ is up to date")
    parser.add_argument("--strip-run-metadata", nargs="+", type=Path, metavar="NOTEBOOK",
                        help="clean these executed notebooks in place, then stop")
    parser.add_argument("--solutions", type=Path, default=SOLUTIONS)
    parser.add_argument("--notebooks", type=Path, default=NOTEBOOKS)
    parser.add_argument("--model-answers", type=Path, default=None,
                        help=f"where to write the model answers (default with the project's solutions: "
                             f"{MODEL_ANSWERS.relative_to(ROOT)}; other solutions: none)")
    args = parser.parse_args(argv)
    answers_path = args.model_answers or (MODEL_ANSWERS if args.solutions == SOLUTIONS else None)
    if args.strip_run_metadata:
        for path in args.strip_run_metadata:
            strip_run_metadata(path)
        return 0
    if args.check:
        stale = stale_notebooks(args.solutions, args.notebooks)
        for name in stale:
            print(f"out of date: {args.notebooks / name}")
        if answers_path is not None and model_answers_stale(args.solutions, answers_path):
            stale.append(str(answers_path))
            print(f"out of date: {answers_path}")
        if stale:
            print("Run `make notebooks` (never edit notebooks/ by hand: edit solutions/).")
        return 1 if stale else 0
    for path in write_notebooks(args.solutions, args.notebooks):
        print(f"wrote {path}")
    if answers_path is not None:
        print(f"wrote {write_model_answers(args.solutions, answers_path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
