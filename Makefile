# FNN Workshop: `make lab` to learn, `make test` to check everything.
# Without make (Windows, conda): README.md lists the same steps command by command.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip install --disable-pip-version-check -q -c constraints.txt
STAMP  := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
CHP    := build/node/node_modules/.bin/configurable-http-proxy

.PHONY: install install-dev lab test lint preflight notebooks run-solutions bench browser hub-proxy clean

# The venv, made once with a Python that the lessons support (3.10 or newer; 3.11 tested).
$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null || { \
	  echo "The workshop needs Python 3.10 or newer (3.11 recommended); '$(PYTHON)' is older or missing."; \
	  echo "Install Python 3.11 (python.org, or 'brew install python@3.11' on a Mac), then run:"; \
	  echo "  make lab PYTHON=python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Learners get the runtime only, at the tested versions (constraints.txt); re-run when those change.
$(STAMP): pyproject.toml constraints.txt | $(PY)
	$(PIP) -e .
	touch $(STAMP)

# Authors and CI get the test and authoring tools too (the `dev` extra).
$(DEV_STAMP): $(STAMP)
	$(PIP) -e '.[dev]'
	touch $(DEV_STAMP)

install: $(STAMP)
install-dev: $(DEV_STAMP)

# Root (containers, workshop VMs) needs --allow-root; everyone else must not get it.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)

lab: install
	$(VENV)/bin/jupyter lab $(ROOT_FLAG) notebooks

lint: install-dev
	$(PY) -m ruff check workshop_lib tests benchmarks

test: install-dev lint browser hub-proxy
	WORKSHOP_HEADLESS=1 $(PY) -m pytest

# configurable-http-proxy for the JupyterHub test (tests/test_jupyterhub.py), from npm into build/node.
# Without npm the test is skipped and says why.
hub-proxy:
	@test -x $(CHP) || { command -v npm >/dev/null 2>&1 \
	  && npm install --silent --no-audit --no-fund --prefix build/node configurable-http-proxy@5 \
	  || echo "npm is missing or failed: the JupyterHub test will be skipped."; }

# Chromium for the real-browser test (tests/test_browser.py): installed with apt-get when missing
# (sudo only when not root). Where that is impossible the test is skipped and says why.
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  SUDO=$$([ "$$(id -u)" -eq 0 ] || echo "sudo -n"); \
	  echo "Installing Chromium for the browser test..."; \
	  APT="$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get"; \
	  { $$APT update -qq && { $$APT install -y -qq chromium || $$APT install -y -qq chromium-browser; }; } \
	  || echo "Could not install Chromium (needs apt-get and root or sudo): the browser test will be skipped."; }

preflight: install
	$(PY) -m workshop_lib.preflight

# Seconds per training epoch, path by path, on this machine (a few minutes); --quick runs in seconds.
bench: install-dev
	$(PY) benchmarks/bench_training.py $(BENCH_ARGS)

# The student notebooks are generated from solutions/: edit solutions/, then run this.
notebooks: install-dev
	$(PY) -m workshop_lib.notebook_generator

# Execute every solution notebook at full size (its default parameters) into build/solutions/.
# To refresh the outputs committed in solutions/, copy the executed notebooks back there.
run-solutions: install-dev
	mkdir -p build/solutions
	for nb in solutions/*.ipynb; do \
	  WORKSHOP_HEADLESS=1 $(VENV)/bin/papermill --cwd build/solutions -k python3 \
	    "$$nb" "build/solutions/$$(basename $$nb)" || exit 1; \
	done
	$(PY) -m workshop_lib.notebook_generator --strip-run-metadata build/solutions/*.ipynb

clean:
	rm -rf build .pytest_cache .ruff_cache
