"""A regular (non-editable) install works offline from any folder: the wheel and the sdist carry MNIST,
and a lesson runs at CI size from a folder outside the clone with only the installed package.

The wheel goes into a scratch folder with `pip install --no-deps --target` (torch and the rest come
from the environment running the tests: nothing is downloaded).
"""

import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import nbformat
import pytest
from test_notebooks import ci_parameters

ROOT = Path(__file__).resolve().parents[1]
LESSON = ROOT / "solutions" / "00_explore_data.ipynb"
MNIST_FILES = [f"{split}-{kind}-idx{dims}-ubyte.gz" for split in ("train", "t10k")
               for kind, dims in (("images", 3), ("labels", 1))]
REPORT = ROOT / "build" / "wheel.json"

pytestmark = [pytest.mark.slow, pytest.mark.timeout(420)]


def run(command: list[str], cwd: Path, env: dict | None = None, timeout: int = 300) -> str:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    """The files a fresh clone builds from, copied, so that building never writes into the clone."""
    copy = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md", "LICENSE", "MANIFEST.in"):
        if (ROOT / name).exists():
            shutil.copy(ROOT / name, copy / name)
    shutil.copytree(ROOT / "workshop_lib", copy / "workshop_lib",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return copy


@pytest.fixture(scope="module")
def wheel(source, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
         "--disable-pip-version-check", "-q", "-w", str(out), str(source)], cwd=out)
    (built,) = out.glob("fnn_workshop-*.whl")
    return built


def package_data() -> set[str]:
    """Every data file inside the package (MNIST, the foreign digits, their credits)."""
    return {p.relative_to(ROOT).as_posix() for pattern in ("*.gz", "*.npz", "*.md")
            for p in (ROOT / "workshop_lib").rglob(pattern)}


def test_the_wheel_carries_the_mnist_files_and_their_credit(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    for name in [*MNIST_FILES, "README.md"]:
        assert f"workshop_lib/mnist/{name}" in names
    assert not [n for n in names if n.startswith(("tests/", "solutions/", "notebooks/", "data/"))]
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "workshop_lib").rglob("*.py")}
    assert modules <= set(names), f"modules missing from the wheel: {sorted(modules - set(names))}"
    missing = package_data() - set(names)
    assert not missing, f"data missing from the wheel: {sorted(missing)}"


def test_the_sdist_carries_the_mnist_files_and_the_license(source, tmp_path):
    code = f"from setuptools import build_meta; print(build_meta.build_sdist({str(tmp_path)!r}))"
    name = run([sys.executable, "-c", code], cwd=source).strip().splitlines()[-1]
    with tarfile.open(tmp_path / name) as sdist:
        members = {m.split("/", 1)[1] for m in sdist.getnames() if "/" in m}
    for file in MNIST_FILES:
        assert f"workshop_lib/mnist/{file}" in members
    assert {"workshop_lib/mnist/README.md", "LICENSE", "pyproject.toml", "workshop_lib/data.py"} <= members
    missing = package_data() - members
    assert not missing, f"data missing from the sdist: {sorted(missing)}"


def test_a_lesson_runs_from_any_folder_with_only_the_installed_wheel(wheel, tmp_path):
    site = tmp_path / "site"
    run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--disable-pip-version-check",
         "-q", "--target", str(site), str(wheel)], cwd=tmp_path)
    for path in site.rglob("*"):  # a hub's site-packages may be read-only: nothing may be written there
        path.chmod(0o555 if path.is_dir() else 0o444)
    before = sorted(p.relative_to(site) for p in site.rglob("*") if "__pycache__" not in p.parts)

    work = tmp_path / "learner"  # outside the clone: no data/, no workshop_lib/ next to it
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site), "WORKSHOP_HEADLESS": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("WORKSHOP_MNIST_DIR", None)
    nb = nbformat.read(LESSON, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(
        "import workshop_lib, workshop_lib.data\n"
        "print('INSTALLED', workshop_lib.__file__, workshop_lib.data.ensure_mnist())"
    ))
    nbformat.write(nb, work / "lesson.ipynb")
    parameters = json.dumps(ci_parameters(LESSON))
    run([sys.executable, "-m", "papermill", "lesson.ipynb", "out.ipynb", "-k", "python3", "--cwd", str(work),
         "--no-progress-bar", "-y", parameters], cwd=work, env=env, timeout=360)

    executed = nbformat.read(work / "out.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for c in executed.cells for o in c.get("outputs", []))
    (line,) = [x for x in printed.splitlines() if x.startswith("INSTALLED")]
    _, module_file, data_folder = line.split()
    assert Path(module_file).is_relative_to(site), line
    assert Path(data_folder) == site / "workshop_lib" / "mnist", line
    assert "Error" not in printed and "Not yet right" not in printed, printed[-3000:]
    after = sorted(p.relative_to(site) for p in site.rglob("*") if "__pycache__" not in p.parts)
    assert after == before

    REPORT.parent.mkdir(exist_ok=True)
    sizes = {"wheel_bytes": wheel.stat().st_size,
             "installed_package_bytes": sum(p.stat().st_size for p in site.rglob("*") if p.is_file())}
    REPORT.write_text(json.dumps(sizes, indent=2) + "\n")
    print(f"\nwheel {sizes['wheel_bytes'] / 1e6:.1f} MB, "
          f"installed {sizes['installed_package_bytes'] / 1e6:.1f} MB")
