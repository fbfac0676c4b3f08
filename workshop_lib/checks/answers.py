"""The answer store: a learner's answer that passed its check, saved as Python source for later lessons.

One file per exercise, `$WORKSHOP_ANSWERS_DIR/<exercise>.py` (default `~/.fnn_workshop/answers`): the
answer's source (from `inspect.getsource`, which also works for notebook cells), what it needs
(imports, constants, the learner's own helpers such as `dense_layer` for `FNN`), and `ANSWER = <name>`.
Rebuilding runs that file in a fresh namespace, in any process. Predictions are kept beside them.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import linecache
import os
import sys
import tempfile
import textwrap
from pathlib import Path

ENVIRONMENT_VARIABLE = "WORKSHOP_ANSWERS_DIR"
DEFAULT_DIR = Path("~/.fnn_workshop/answers")
REBUILT_PREFIX = "fnn_workshop_answers."  # the module name of rebuilt answers: never importable
LITERALS = (bool, int, float, complex, str, bytes, type(None))


class NotRecordable(Exception):
    """The answer's source code cannot be recovered or rebuilt."""


def answers_dir() -> Path:
    """Where answers are stored: `$WORKSHOP_ANSWERS_DIR`, else a folder in the user's home."""
    return Path(os.environ.get(ENVIRONMENT_VARIABLE) or DEFAULT_DIR).expanduser()


def answer_path(exercise: str) -> Path:
    return answers_dir() / f"{exercise}.py"


# ---------------------------------------------------------------- source code of an answer

def _class_source_from_methods(cls: type) -> str:
    """A class's source found through its methods' code (what works for classes defined in notebook cells)."""
    for value in vars(cls).values():
        function = getattr(value, "__func__", value)
        code = getattr(function, "__code__", None)
        if code is None:
            continue
        lines = linecache.getlines(code.co_filename)
        try:
            tree = ast.parse("".join(lines))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if (isinstance(node, ast.ClassDef) and node.name == cls.__name__
                    and node.lineno <= code.co_firstlineno <= node.end_lineno):
                first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                return textwrap.dedent("".join(lines[first - 1:node.end_lineno]))
    raise NotRecordable(f"the source code of class {cls.__name__} was not found")


def source_of(obj) -> str:
    """The source code that defines `obj` (a function or a class), dedented; `NotRecordable` if none."""
    if inspect.isfunction(obj):
        if obj.__name__ == "<lambda>":
            raise NotRecordable("it is a lambda; write it with `def` to have it saved")
        try:
            source = textwrap.dedent(inspect.getsource(obj))
        except (OSError, TypeError) as err:
            raise NotRecordable(f"its source code was not found ({err})") from None
    elif inspect.isclass(obj):
        try:
            source = textwrap.dedent(inspect.getsource(obj))
        except (OSError, TypeError):
            source = _class_source_from_methods(obj)
    else:
        raise NotRecordable(f"it is a {type(obj).__name__} object, not a function or a class")
    try:
        tree = ast.parse(source)
    except SyntaxError as err:
        raise NotRecordable(f"its source code does not parse on its own ({err})") from None
    if _defined_names(tree) != {obj.__name__}:
        raise NotRecordable(f"its source code does not define {obj.__name__} alone")
    return source


def _defined_names(tree: ast.Module) -> set[str]:
    return {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}


def _namespace_of(obj) -> dict:
    """The globals an answer's code runs in (a notebook's namespace for code written in a cell)."""
    if inspect.isfunction(obj):
        return obj.__globals__
    for value in vars(obj).values():
        function = getattr(value, "__func__", value)
        if inspect.isfunction(function):
            return function.__globals__
    module = sys.modules.get(obj.__module__)
    return vars(module) if module is not None else {}


def _importable_as(value) -> tuple[str, str] | None:
    """(module, name) that imports exactly `value`, if there is one."""
    module_name, name = getattr(value, "__module__", None), getattr(value, "__qualname__", None)
    if not module_name or not name or "." in name or module_name == "__main__":
        return None
    if module_name.startswith(REBUILT_PREFIX):
        return None
    try:
        found = getattr(importlib.import_module(module_name), name, None)
    except Exception:
        return None
    return (module_name, name) if found is value else None


def _is_literal(value) -> bool:
    """Plain Python data whose repr reads back as the same value (no subclasses such as torch.Size)."""
    if type(value) in (tuple, list):
        return all(_is_literal(v) for v in value)
    if type(value) is dict:
        return all(_is_literal(k) and _is_literal(v) for k, v in value.items())
    return type(value) in LITERALS


def _reads_back(value) -> bool:
    try:
        return ast.literal_eval(repr(value)) == value
    except (ValueError, SyntaxError):  # e.g. float("nan")
        return False


class _Program:
    """The pieces of a self-contained file that rebuilds an answer, gathered depth first."""

    def __init__(self):
        self.imports: list[str] = []
        self.values: list[str] = []
        self.blocks: list[str] = []
        self.missing: list[str] = []
        self.seen: set[str] = set()

    def add(self, obj) -> None:
        source = source_of(obj)
        self.seen.add(obj.__name__)
        namespace = _namespace_of(obj)
        used = sorted({n.id for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Name)})
        for name in used:
            if name in self.seen or name not in namespace:
                continue  # defined here already, or a built-in or local name
            self.seen.add(name)
            self.require(name, namespace[name])
        self.blocks.append(source.rstrip() + "\n")

    def require(self, name: str, value) -> None:
        if inspect.ismodule(value):
            module = value.__name__
            self.imports.append(f"import {module}" if module == name else f"import {module} as {name}")
        elif (place := _importable_as(value)) is not None:
            module, attribute = place
            alias = "" if attribute == name else f" as {name}"
            self.imports.append(f"from {module} import {attribute}{alias}")
        elif inspect.isfunction(value) or inspect.isclass(value):
            try:
                self.add(value)  # the learner's own helper, e.g. dense_layer inside FNN
            except NotRecordable as why:
                self.missing.append(f"{name} ({why})")
        elif _is_literal(value) and _reads_back(value):
            self.values.append(f"{name} = {value!r}")
        else:
            self.missing.append(f"{name} (a {type(value).__name__})")

    def text(self, exercise: str, answer_name: str) -> str:
        head = (f"# Your answer to check.{exercise}, saved as it passed its check; "
                f"check.mine({exercise!r}) rebuilds it.\n")
        if self.missing:
            head += "# Not saved (defined outside the answer): " + ", ".join(self.missing) + "\n"
        parts = ["\n".join(dict.fromkeys(self.imports)), "\n".join(self.values), *self.blocks,
                 f"ANSWER = {answer_name}"]
        return head + "\n\n".join(p.rstrip("\n") for p in parts if p) + "\n"


def answer_program(exercise: str, answer) -> str:
    """The text of the file that rebuilds `answer`; `NotRecordable` when its source is out of reach."""
    program = _Program()
    program.add(answer)
    return program.text(exercise, answer.__name__)


# ---------------------------------------------------------------- store and rebuild

def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def record(exercise: str, answer) -> Path:
    """Save `answer` as the learner's answer to `exercise`; `NotRecordable` or `OSError` when it cannot."""
    path = answer_path(exercise)
    _write_atomically(path, answer_program(exercise, answer))
    return path


def forget(exercise: str) -> None:
    """Remove the stored answer to `exercise`, if any."""
    try:
        answer_path(exercise).unlink(missing_ok=True)
    except OSError:
        pass


def rebuild(exercise: str):
    """The learner's stored answer to `exercise`, rebuilt from its file; `FileNotFoundError` if none."""
    path = answer_path(exercise)
    text = path.read_text(encoding="utf-8")
    namespace = {"__name__": f"{REBUILT_PREFIX}{exercise}", "__file__": str(path)}
    linecache.checkcache(str(path))  # inspect.getsource reads the file afresh when it changed
    exec(compile(text, str(path), "exec"), namespace)
    return namespace["ANSWER"]


# ---------------------------------------------------------------- predictions

def _predictions_path() -> Path:
    return answers_dir() / "predictions.json"


def load_predictions() -> dict:
    """Every recorded prediction, by question id (empty when none or unreadable)."""
    try:
        return json.loads(_predictions_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def save_prediction(qid: str, value) -> None:
    """Record (or with `None`, forget) a prediction; `OSError` when the folder is not writable."""
    predictions = load_predictions()
    if value is None:
        if qid not in predictions:
            return
        predictions.pop(qid)
    else:
        predictions[qid] = value
    _write_atomically(_predictions_path(), json.dumps(predictions, indent=1, sort_keys=True) + "\n")
