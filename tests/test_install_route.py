"""The README's install route without make, run as written on a copy of the project (Linux standing
in for Windows), and the PowerShell and conda routes checked to say the same thing.

Offline and fast: the scratch venv sees the packages of the environment running the tests (a `.pth`
file, like `--system-site-packages` for a venv), and pip gets `--no-index --no-build-isolation`,
so nothing is downloaded; everything else is the README's command.
"""

import importlib.metadata
import os
import re
import shlex
import shutil
import site
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml
from jupyter_core.paths import jupyter_path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
OFFLINE = ["--no-index", "--no-build-isolation"]

pytestmark = [pytest.mark.slow, pytest.mark.timeout(420)]


def route(name: str) -> list[str]:
    """The commands of the code block after `<!-- install-route: name -->` in the README."""
    match = re.search(rf"<!-- install-route: {name} -->\s*```\w*\n(.*?)```", README, re.S)
    assert match, f"README.md has no install route marked {name}"
    return [line.strip() for line in match.group(1).splitlines() if line.strip()]


def test_the_powershell_route_is_the_bash_route_in_windows_spelling():
    bash, powershell = route("bash"), route("powershell")
    assert len(bash) == len(powershell)
    for ours, theirs in zip(bash, powershell, strict=True):
        windows = theirs.replace(".venv\\Scripts\\", ".venv/bin/").replace("py -3.11 ", "python3.11 ")
        assert windows == ours


def test_the_conda_route_installs_with_the_same_pip_command():
    bash, conda = route("bash"), route("conda")
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in environment["dependencies"] if isinstance(d, dict))
    assert " ".join(pip) == bash[1].split(" pip install ", 1)[1]  # -c constraints.txt -e .
    assert "python=3.11" in environment["dependencies"]
    assert conda[0] == "conda env create -f environment.yml"
    assert conda[2:] == [line.replace(".venv/bin/", "") for line in bash[2:]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def clone(tmp_path) -> Path:
    """What a learner's clone holds, copied (git ls-files' tracked files of the runtime)."""
    copy = tmp_path / "fnn-workshop"
    copy.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE", "MANIFEST.in", "constraints.txt"):
        shutil.copy(ROOT / name, copy / name)
    for folder in ("workshop_lib", "notebooks"):
        shutil.copytree(ROOT / folder, copy / folder, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def test_the_route_without_make_installs_checks_and_starts_jupyterlab(clone):
    commands = route("bash")
    assert commands[0] == "python3.11 -m venv .venv"
    # 1. the venv, made by the Python running the tests, seeing its packages (pip included)
    venv = [sys.executable, "-m", "venv", "--without-pip", ".venv"]
    subprocess.run(venv, cwd=clone, check=True, timeout=120)
    venv_site = next((clone / ".venv" / "lib").glob("python*/site-packages"))
    (venv_site / "inherited.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    # pip writes a package's commands where it installs it: the inherited ones, written as pip would
    python = clone / ".venv" / "bin" / "python"
    for entry in importlib.metadata.entry_points(group="console_scripts"):
        if entry.name.startswith("jupyter"):
            script = clone / ".venv" / "bin" / entry.name
            module, function = entry.value.split(":")
            script.write_text(f"#!{python}\nimport sys\nfrom {module} import {function}\n"
                              f"sys.exit({function}())\n")
            script.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "WORKSHOP_MNIST_DIR")}
    env["WORKSHOP_HEADLESS"] = "1"
    # and its data files where JupyterLab looks: the inherited widget extensions (share/jupyter/labextensions)
    env["JUPYTER_PATH"] = os.pathsep.join(jupyter_path())

    def run(command: str, timeout: int) -> str:
        argv = shlex.split(command)
        done = subprocess.run(argv, cwd=clone, env=env, capture_output=True, text=True, timeout=timeout)
        assert done.returncode == 0, f"{command}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        return done.stdout

    # 2. the install, offline
    assert commands[1].startswith(".venv/bin/python -m pip install ")
    run(commands[1].replace(" install ", " install -q " + " ".join(OFFLINE) + " ", 1), timeout=300)
    where = run(".venv/bin/python -c 'import workshop_lib.data as d; print(d.__file__, d.DATA_ROOT)'", 120)
    assert where.split() == [str(clone / "workshop_lib" / "data.py"), str(clone / "workshop_lib" / "mnist")]
    # 3. the preflight check
    report = run(commands[2], timeout=300)
    assert "ready for the workshop" in report, report
    # 4. JupyterLab on the lessons (on a private port, no browser), asked for its notebooks
    port, token = free_port(), "route-test"
    lab = shlex.split(commands[3]) + [
        "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={clone / 'notebooks'}",
        "--ServerApp.port_retries=0", "--LabApp.news_url=None", "--LabApp.check_for_updates_class="
        "jupyterlab.NeverCheckForUpdate",
    ] + (["--allow-root"] if os.geteuid() == 0 else [])
    server = subprocess.Popen(lab, cwd=clone, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              start_new_session=True)
    try:
        listing = None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and server.poll() is None:
            try:
                url = f"http://127.0.0.1:{port}/api/contents/?token={token}"
                with urllib.request.urlopen(url, timeout=5) as response:
                    listing = response.read().decode()
                break
            except OSError:
                time.sleep(1)
        assert listing is not None, f"JupyterLab did not answer:\n{server.stderr.read1().decode()[-3000:]}"
        for notebook in (ROOT / "notebooks").glob("*.ipynb"):
            assert f'"{notebook.name}"' in listing
    finally:
        if server.poll() is None:
            os.killpg(server.pid, 15)
            server.wait(timeout=30)
