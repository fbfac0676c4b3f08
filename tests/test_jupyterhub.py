"""A class on JupyterHub: a real hub on 127.0.0.1 starts three learners' servers through its REST API,
and lesson 03 (as shipped to learners, at CI size) runs in every server at the same time.

The hub: JupyterHub with configurable-http-proxy (from npm, `make hub-proxy` puts it in build/node),
the dummy authenticator, SimpleLocalProcessSpawner (every server a local process of this user), a
temporary state folder, and a service token with the scopes to create users, start their servers
and reach them. Each lesson runs through the learner server's kernel API (REST to start a kernel,
then the kernel's websocket, cell by cell), as JupyterLab would send it.

Measured and written to build/hub.json: peak memory per learner (server and kernel, RSS and USS: the
kernel's own pages, not the shared libraries), during the lesson at CI size and then with the
lesson's data loaded at full size, the kernel's CPU seconds, and the wall time of the lesson for
one learner alone against three at once. Nothing is asserted about the times.
"""

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import nbformat
import psutil
import pytest
import websocket
from test_notebooks import ci_parameters

ROOT = Path(__file__).resolve().parents[1]
LESSON = ROOT / "notebooks" / "03_train_and_evaluate.ipynb"
CHP = ROOT / "build" / "node" / "node_modules" / ".bin" / "configurable-http-proxy"
REPORT = ROOT / "build" / "hub.json"
LEARNERS = ["learner-1", "learner-2", "learner-3"]
CELL_TIMEOUT = 240  # seconds for one cell (a shared 2-core CI machine is slow)
# the lesson's data at full size (54,000 / 6,000 / 10,000 images), as a learner's kernel holds it
FULL_DATA = "from workshop_lib import FastDataLoaderFNN\n_full_size = FastDataLoaderFNN()"

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Hub:
    """A JupyterHub process and its REST API, as the service `class-check`."""

    def __init__(self, state: Path):
        self.state, self.token = state, secrets.token_hex(16)
        self.port, self.hub_port, self.api_port = free_port(), free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def config(self) -> str:
        allow_root = ["--allow-root"] if os.geteuid() == 0 else []
        return f"""
c = get_config()  # noqa
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {self.port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {self.hub_port}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{self.api_port}"
c.ConfigurableHTTPProxy.command = [{str(CHP)!r}]
c.ConfigurableHTTPProxy.pid_file = {str(self.state / "proxy.pid")!r}
c.JupyterHub.db_url = "sqlite:///{self.state / "jupyterhub.sqlite"}"
c.JupyterHub.cookie_secret_file = {str(self.state / "cookie_secret")!r}
c.JupyterHub.pid_file = {str(self.state / "hub.pid")!r}
c.JupyterHub.cleanup_servers = True
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = {str(self.state / "home" / "{username}")!r}
c.Spawner.cmd = [{sys.executable!r}, "-m", "jupyterhub.singleuser"]
c.Spawner.args = {allow_root!r}
c.Spawner.ip = "127.0.0.1"
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 240
c.Spawner.http_timeout = 240
# one thread per learner: the kernels share the machine's cores (docs/instructors.md)
c.Spawner.environment = {{"WORKSHOP_HEADLESS": "1", "OMP_NUM_THREADS": "1", "PYTHONPATH": {str(ROOT)!r}}}
c.JupyterHub.services = [{{"name": "class-check", "api_token": {self.token!r}}}]
c.JupyterHub.load_roles = [{{
    "name": "class-check",
    "scopes": ["admin:users", "admin:servers", "access:servers", "list:users"],
    "services": ["class-check"],
}}]
"""

    def start(self) -> None:
        (self.state / "jupyterhub_config.py").write_text(self.config())
        env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTERHUB_")}
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        self.log = open(self.state / "hub.log", "wb")  # closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "jupyterhub", "-f", str(self.state / "jupyterhub_config.py")],
            cwd=self.state, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"JupyterHub exited:\n{self.log_tail()}"
            try:
                self.api("GET", "/hub/api/")
                return
            except OSError:
                time.sleep(0.5)
        raise AssertionError(f"JupyterHub did not answer within 120 s:\n{self.log_tail()}")

    def log_tail(self) -> str:
        return (self.state / "hub.log").read_text(errors="replace")[-4000:]

    def api(self, method: str, path: str, body: dict | None = None, timeout: float = 30):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            text = response.read().decode()
        return json.loads(text) if text else None

    def start_servers(self, names: list[str]) -> None:
        """Create the users and ask for all their servers at once; wait until every one is ready."""
        self.api("POST", "/hub/api/users", {"usernames": names})
        for name in names:
            self.api("POST", f"/hub/api/users/{name}/server")  # 202: spawning goes on in the hub
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            users = {u["name"]: u for u in self.api("GET", "/hub/api/users")}
            if all(users[n]["servers"].get("", {}).get("ready") for n in names):
                return
            time.sleep(1)
        raise AssertionError(f"servers not ready within 300 s:\n{self.log_tail()}")

    def stop(self) -> None:
        """Stop every server, the hub, the proxy; then end whatever of theirs is still running."""
        ours = [p for p in psutil.process_iter() if self._belongs(p)]
        if self.process and self.process.poll() is None:
            for name in LEARNERS:
                try:
                    self.api("DELETE", f"/hub/api/users/{name}/server", timeout=60)
                except (OSError, ValueError):
                    pass
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)
        ours += [p for p in psutil.process_iter() if self._belongs(p)]
        for process in ours:
            try:
                process.kill()
            except psutil.NoSuchProcess:
                pass
        psutil.wait_procs(ours, timeout=30)
        self.log.close()

    def _belongs(self, process: psutil.Process) -> bool:
        """A server or kernel this hub started (its API URL in the environment), or its proxy."""
        try:
            if str(self.api_port) in " ".join(process.cmdline()):
                return True
            return f":{self.hub_port}/" in process.environ().get("JUPYTERHUB_API_URL", "")
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            return False

    def server_process(self, name: str) -> psutil.Process:
        for process in psutil.process_iter():
            try:
                env = process.environ()
                if env.get("JUPYTERHUB_USER") == name and "jupyterhub.singleuser" in process.cmdline():
                    if f":{self.hub_port}/" in env.get("JUPYTERHUB_API_URL", ""):
                        return process
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                continue
        raise AssertionError(f"no server process for {name}")


def decode(frame: str | bytes) -> dict:
    """A kernel message from the websocket: JSON text, or binary when it carries buffers (widgets):
    a uint32 count n, n uint32 offsets, the JSON message at the first offset, then the buffers."""
    if isinstance(frame, str):
        return json.loads(frame)
    count = int.from_bytes(frame[:4], "big")
    offsets = [int.from_bytes(frame[4 + 4 * i : 8 + 4 * i], "big") for i in range(count)]
    end = offsets[1] if count > 1 else len(frame)
    return json.loads(frame[offsets[0] : end].decode("utf-8"))


class Kernel:
    """A kernel in a learner's server, driven through the server's REST API and websocket."""

    def __init__(self, hub: Hub, user: str):
        self.hub, self.user, self.session = hub, user, uuid.uuid4().hex
        self.id = hub.api("POST", f"/user/{user}/api/kernels", {"name": "python3"})["id"]
        ws_url = hub.url.replace("http", "ws") + f"/user/{user}/api/kernels/{self.id}/channels"
        self.ws = websocket.create_connection(ws_url, header=[f"Authorization: token {hub.token}"],
                                              timeout=CELL_TIMEOUT)

    def execute(self, code: str) -> tuple[str, list[str]]:
        """Run one cell; return what it printed and the errors it raised."""
        msg_id = uuid.uuid4().hex
        self.ws.send(json.dumps({
            "header": {"msg_id": msg_id, "username": self.user, "session": self.session,
                       "msg_type": "execute_request", "version": "5.3"},
            "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
            "content": {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                        "allow_stdin": False, "stop_on_error": True},
        }))
        printed, errors, replied, idle = [], [], False, False
        while not (replied and idle):
            message = decode(self.ws.recv())
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = message["msg_type"], message["content"]
            if kind == "stream":
                printed.append(content["text"])
            elif kind == "error":
                errors.append(f"{content['ename']}: {content['evalue']}")
            elif kind == "execute_reply":
                replied = True
                if content["status"] != "ok" and not errors:
                    errors.append(f"execute_reply status {content['status']}")
            elif kind == "status" and content["execution_state"] == "idle":
                idle = True
        return "".join(printed), errors

    def shutdown(self) -> None:
        self.ws.close()
        self.hub.api("DELETE", f"/user/{self.user}/api/kernels/{self.id}")


def lesson_cells() -> list[str]:
    """The lesson's code cells, with CI-size parameters injected after its parameters cell."""
    nb = nbformat.read(LESSON, as_version=4)
    cells = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        cells.append(cell.source)
        if "parameters" in cell.metadata.get("tags", []):
            cells.append("\n".join(f"{k} = {v!r}" for k, v in ci_parameters(LESSON).items()))
    return cells


def run_lesson(hub: Hub, user: str, results: dict) -> None:
    """Run the whole lesson in a fresh kernel of `user`'s server; record time, output and errors."""
    kernel = Kernel(hub, user)
    start = time.perf_counter()
    printed, errors = [], []
    try:
        for code in lesson_cells():
            text, cell_errors = kernel.execute(code)
            printed.append(text)
            errors += cell_errors
            if cell_errors:
                break
        seconds = time.perf_counter() - start
    except Exception as err:  # a lost websocket, a timeout: reported as this learner's error
        seconds, errors = None, [*errors, repr(err)]
    results[user] = {"seconds": seconds, "printed": "".join(printed), "errors": errors, "kernel": kernel}


class MemorySampler(threading.Thread):
    """Peak RSS and USS of each learner's server and kernels, sampled every second."""

    def __init__(self, servers: dict[str, psutil.Process]):
        super().__init__(daemon=True)
        self.servers, self.stopped = servers, threading.Event()
        self.peak = {name: {"server_rss": 0, "kernel_rss": 0, "kernel_uss": 0} for name in servers}

    def sample(self) -> None:
        for name, server in self.servers.items():
            try:
                peak = self.peak[name]
                peak["server_rss"] = max(peak["server_rss"], server.memory_info().rss)
                for kernel in server.children(recursive=True):
                    info = kernel.memory_full_info()
                    peak["kernel_rss"] = max(peak["kernel_rss"], info.rss)
                    peak["kernel_uss"] = max(peak["kernel_uss"], info.uss)
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                continue

    def run(self) -> None:
        while not self.stopped.wait(1.0):
            self.sample()


@pytest.fixture
def hub(tmp_path):
    if not CHP.exists() and shutil.which("make") and shutil.which("npm"):
        subprocess.run(["make", "-s", "hub-proxy"], cwd=ROOT, check=False, timeout=300)
    if not CHP.exists():
        pytest.skip("configurable-http-proxy is not installed and npm is missing: install Node.js "
                    "(npm), then run `make hub-proxy`.")
    hub = Hub(tmp_path)
    try:
        hub.start()
        yield hub
    finally:
        hub.stop()


def test_three_learners_run_a_lesson_at_once_on_one_hub(hub):
    hub.start_servers(LEARNERS)
    servers = {name: hub.server_process(name) for name in LEARNERS}
    assert len({p.pid for p in servers.values()}) == len(LEARNERS)

    alone: dict = {}
    run_lesson(hub, LEARNERS[0], alone)
    alone[LEARNERS[0]]["kernel"].shutdown()
    assert not alone[LEARNERS[0]]["errors"], alone[LEARNERS[0]]

    load_before = os.getloadavg()[0]  # other work on the machine: the wall times depend on it
    sampler = MemorySampler(servers)
    sampler.start()
    together: dict = {}
    threads = [threading.Thread(target=run_lesson, args=(hub, name, together)) for name in LEARNERS]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=CELL_TIMEOUT * 3)
    wall_three = time.perf_counter() - start
    sampler.sample()
    at_ci_size = {name: dict(peak) for name, peak in sampler.peak.items()}  # before the full-size data

    report = {"lesson": LESSON.name, "parameters": ci_parameters(LESSON), "threads_per_learner": 1,
              "cpu_cores": psutil.cpu_count(), "one_learner_s": round(alone[LEARNERS[0]]["seconds"], 1),
              "three_learners_wall_s": round(wall_three, 1),
              "load_average_1min": [round(load_before, 1), round(os.getloadavg()[0], 1)], "learners": {}}
    for name in LEARNERS:
        assert name in together, f"{name}'s lesson did not finish within {CELL_TIMEOUT * 3} s"
        run = together[name]
        assert not run["errors"], f"{name}: {run['errors']}\n{run['printed'][-3000:]}"
        assert "Not yet right" not in run["printed"], run["printed"][-3000:]
        kernel = run["kernel"]
        cpu = sum(sum(p.cpu_times()[:2]) for p in servers[name].children(recursive=True))  # user + system
        server_cpu = sum(servers[name].cpu_times()[:2])  # since the server started
        _, errors = kernel.execute(FULL_DATA)
        assert not errors, errors
        sampler.sample()
        report["learners"][name] = {"seconds": round(run["seconds"], 1), "kernel_cpu_s": round(cpu, 1),
                                    "server_cpu_s": round(server_cpu, 1)}
    sampler.stopped.set()
    for name in LEARNERS:
        for label, peaks in (("ci_size", at_ci_size[name]), ("full_data", sampler.peak[name])):
            report["learners"][name].update(
                {f"{key}_{label}_mib": round(value / 2**20) for key, value in peaks.items()})
        together[name]["kernel"].shutdown()
    report["three_over_one"] = round(wall_three / report["one_learner_s"], 2)

    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text(json.dumps(report, indent=2) + "\n")
    print("\n" + json.dumps(report, indent=2))
