# FNN Workshop: `make lab` to learn, `make test` to check everything.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: install lab test lint preflight notebooks run-solutions bench browser clean

# Create the venv and install the project once; re-run only when pyproject.toml changes.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Root (containers, workshop VMs) needs --allow-root; everyone else must not get it.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)

lab: install
	$(VENV)/bin/jupyter lab $(ROOT_FLAG) notebooks

lint: install
	$(PY) -m ruff check workshop_lib tests benchmarks

test: install lint browser
	WORKSHOP_HEADLESS=1 $(PY) -m pytest

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
bench: install
	$(PY) benchmarks/bench_training.py $(BENCH_ARGS)

# The student notebooks are generated from solutions/: edit solutions/, then run this.
notebooks: install
	$(PY) -m workshop_lib.notebook_generator

# Execute every solution notebook at full size (its default parameters) into build/solutions/.
# To refresh the outputs committed in solutions/, copy the executed notebooks back there.
run-solutions: install
	mkdir -p build/solutions
	for nb in solutions/*.ipynb; do \
	  WORKSHOP_HEADLESS=1 $(VENV)/bin/papermill --cwd build/solutions -k python3 \
	    "$$nb" "build/solutions/$$(basename $$nb)" || exit 1; \
	done
	$(PY) -m workshop_lib.notebook_generator --strip-run-metadata build/solutions/*.ipynb

clean:
	rm -rf build .pytest_cache .ruff_cache
