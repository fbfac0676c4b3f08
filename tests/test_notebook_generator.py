"""The generator turns solution notebooks into student notebooks, deterministically, and the
committed notebooks/ folder is exactly what it writes now."""

import re

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from workshop_lib import notebook_generator as generator
from workshop_lib.notebook_generator import ANSWER_PROMPT, MarkerError, student_source

SOLUTION_CODE = """\
def dense_layer(n_in, n_out):
    \"\"\"Docstring stays.\"\"\"
    ### BEGIN SOLUTION
    layers = [nn.Linear(n_in, n_out)]
    return nn.Sequential(*layers)
    ### END SOLUTION

x = 1"""


def test_solution_code_becomes_a_placeholder_at_the_same_indent():
    assert student_source(SOLUTION_CODE, "code") == """\
def dense_layer(n_in, n_out):
    \"\"\"Docstring stays.\"\"\"
    # YOUR CODE HERE
    raise NotImplementedError()

x = 1"""


def test_every_block_of_a_cell_is_replaced():
    block = "        ### BEGIN SOLUTION\n        return {}\n        ### END SOLUTION"
    source = "class A:\n    def f(self):\n" + block.format(1) + "\n    def g(self):\n" + block.format(2)
    student = student_source(source, "code")
    assert "return" not in student
    assert student.count("        raise NotImplementedError()") == 2


def test_a_written_answer_becomes_a_prompt():
    source = "<!-- BEGIN SOLUTION -->\n**Answer.** 784 numbers.\n<!-- END SOLUTION -->"
    assert student_source(source, "markdown") == ANSWER_PROMPT
    question = "**Question.** How many?"
    assert student_source(question, "markdown") == question


def test_nbval_markers_are_dropped_from_student_code():
    assert student_source("# NBVAL_CHECK_OUTPUT\nprint(1)", "code") == "print(1)"
    assert student_source("# NBVAL_SKIP\ntrain()", "code") == "train()"
    inline = "x = 1  # NBVAL_SKIP counts only on a line of its own"
    assert student_source(inline, "code") == inline


@pytest.mark.parametrize("source, problem", [
    ("### BEGIN SOLUTION\nx = 1", "never closed"),
    ("x = 1\n### END SOLUTION", "without a"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "inside another"),
])
def test_unpaired_markers_are_an_error_naming_the_place(source, problem):
    with pytest.raises(MarkerError, match=problem) as info:
        student_source(source, "code", where="lesson.ipynb, cell 3")
    assert "lesson.ipynb, cell 3" in str(info.value)


def solution_notebook():
    nb = new_notebook()
    nb.metadata["papermill"] = {"duration": 1.0}
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python", "version": "3.11.7"}
    code = new_code_cell(SOLUTION_CODE, execution_count=4, outputs=[new_output("stream", text="hi\n")])
    code.id = "code-1"
    code.metadata["execution"] = {"iopub.status.busy": "2026-01-01T00:00:00"}
    code.metadata["tags"] = ["parameters"]
    answer = new_markdown_cell("<!-- BEGIN SOLUTION -->\nIt is 784.\n<!-- END SOLUTION -->")
    answer.id = "answer-1"
    nb.cells = [code, answer]
    return nb


def test_student_notebook_has_no_outputs_counts_or_run_metadata_and_keeps_tags():
    solution = solution_notebook()
    student = generator.student_notebook(solution)
    code, answer = student.cells
    assert code.outputs == [] and code.execution_count is None
    assert "execution" not in code.metadata and code.metadata["tags"] == ["parameters"]
    assert set(student.metadata) == {"kernelspec", "language_info"}  # no papermill, no widget state
    assert student.metadata.language_info == {"name": "python"}
    assert answer.source == ANSWER_PROMPT
    assert solution.cells[0].outputs, "the solution itself must be left unchanged"


def test_generation_is_deterministic_byte_for_byte(tmp_path):
    solutions, first, second = tmp_path / "solutions", tmp_path / "a", tmp_path / "b"
    solutions.mkdir()
    nbformat.write(solution_notebook(), solutions / "00_lesson.ipynb")
    generator.write_notebooks(solutions, first)
    generator.write_notebooks(solutions, second)
    assert (first / "00_lesson.ipynb").read_bytes() == (second / "00_lesson.ipynb").read_bytes()
    assert generator.stale_notebooks(solutions, first) == []


def test_stale_and_orphaned_student_notebooks_are_reported(tmp_path):
    solutions, notebooks = tmp_path / "solutions", tmp_path / "notebooks"
    solutions.mkdir()
    nbformat.write(solution_notebook(), solutions / "00_lesson.ipynb")
    assert generator.stale_notebooks(solutions, notebooks) == ["00_lesson.ipynb"]  # never generated
    assert generator.main(["--check", "--solutions", str(solutions), "--notebooks", str(notebooks)]) == 1
    generator.main(["--solutions", str(solutions), "--notebooks", str(notebooks)])
    assert generator.main(["--check", "--solutions", str(solutions), "--notebooks", str(notebooks)]) == 0

    edited = notebooks / "00_lesson.ipynb"
    edited.write_text(edited.read_text().replace("YOUR CODE HERE", "edited by hand"))
    (notebooks / "99_orphan.ipynb").write_text(edited.read_text())
    assert generator.stale_notebooks(solutions, notebooks) == ["00_lesson.ipynb", "99_orphan.ipynb"]


def test_strip_run_metadata_keeps_outputs(tmp_path):
    path = tmp_path / "executed.ipynb"
    executed = solution_notebook()
    executed.cells[1].metadata["tags"] = []  # papermill writes an empty tag list into every cell
    nbformat.write(executed, path)
    generator.strip_run_metadata(path)
    nb = nbformat.read(path, as_version=4)
    assert "papermill" not in nb.metadata and "execution" not in nb.cells[0].metadata
    assert "tags" not in nb.cells[1].metadata and nb.cells[0].metadata["tags"] == ["parameters"]
    assert nb.cells[0].outputs[0].text == "hi\n"


def test_committed_student_notebooks_are_what_the_generator_writes_now():
    stale = generator.stale_notebooks()
    assert not stale, (
        f"notebooks/ is out of date for {stale}: never edit notebooks/ by hand; edit solutions/, "
        f"then run `make notebooks` and commit both."
    )


@pytest.mark.parametrize("path", sorted(generator.SOLUTIONS.glob("*.ipynb")), ids=lambda p: p.name)
def test_each_solution_notebook_is_a_well_formed_lesson(path):
    nb = nbformat.read(path, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{path.name} needs exactly one cell tagged 'parameters'"
    student = generator.student_notebook(nb, path.name)  # raises on unpaired markers
    text = "\n".join(c.source for c in student.cells)
    assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text
    assert nb.metadata["kernelspec"]["name"] == "python3"


def test_a_written_answer_with_an_id_is_extracted_and_revealed_in_the_student_notebook():
    source = "Intro.\n<!-- BEGIN SOLUTION id=q_size -->\n**Answer.** 784 numbers.\n<!-- END SOLUTION -->"
    assert generator.model_answers(source) == {"q_size": "**Answer.** 784 numbers."}
    assert student_source(source, "markdown") == f"Intro.\n{ANSWER_PROMPT}"
    nb = solution_notebook()
    nb.cells[1].source = source
    student = generator.student_notebook(nb)
    assert [c.cell_type for c in student.cells] == ["code", "markdown", "code"]
    assert student.cells[2].source == 'check.reveal("q_size")' and student.cells[2].id == "reveal-q_size"
    assert generator.lesson_model_answers(nb) == {"q_size": "**Answer.** 784 numbers."}


def test_model_answers_are_written_deterministically_and_ids_are_unique(tmp_path):
    solutions = tmp_path / "solutions"
    solutions.mkdir()
    nb = solution_notebook()
    nb.cells[1].source = "<!-- BEGIN SOLUTION id=q1 -->\nIt is 784.\n<!-- END SOLUTION -->"
    nbformat.write(nb, solutions / "00_lesson.ipynb")
    path = tmp_path / "model_answers.py"
    generator.write_model_answers(solutions, path)
    first = path.read_bytes()
    assert not generator.model_answers_stale(solutions, path)
    generator.write_model_answers(solutions, path)
    assert path.read_bytes() == first
    namespace = {}
    exec(first, namespace)
    assert namespace["MODEL_ANSWERS"] == {"00_lesson": {"q1": "It is 784."}}
    nbformat.write(nb, solutions / "01_lesson.ipynb")  # the same id in a second lesson
    with pytest.raises(MarkerError, match="'q1' is already used in 00_lesson.ipynb"):
        generator.model_answers_text(solutions)


def test_the_committed_model_answers_are_what_the_generator_writes_now():
    assert not generator.model_answers_stale(), (
        "workshop_lib/checks/model_answers.py is out of date: run `make notebooks` and commit it."
    )


def test_every_written_answer_of_the_lessons_has_an_id_and_a_reveal_cell():
    for path in sorted(generator.SOLUTIONS.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        blocks = sum(c.source.count("<!-- BEGIN SOLUTION") for c in nb.cells if c.cell_type == "markdown")
        answers = generator.lesson_model_answers(nb, path.name)
        assert len(answers) == blocks, f"{path.name}: every written answer needs an id"
        student = generator.student_notebook(nb, path.name)
        reveals = [c.source for c in student.cells if c.source.startswith("check.reveal(")]
        assert reveals == [f'check.reveal("{qid}")' for qid in answers]
        if answers:
            imports = re.compile(r"^from workshop_lib import .*\bcheck\b", re.MULTILINE)
            assert any(imports.search(c.source) for c in nb.cells if c.cell_type == "code"), (
                f"{path.name} must import check for its reveal cells")
