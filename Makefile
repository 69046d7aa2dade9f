# Two commands matter: `make run` and `make test`. Both create .venv if missing and install the project.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
OUT ?= results

.PHONY: run test test-scale bench install browser clean

$(BIN)/python:
	@command -v $(PY) >/dev/null 2>&1 || { echo "error: $(PY) not found; install Python 3.11 or run 'make PY=python3 ...'"; exit 1; }
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[test]"
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/segtarget run --out $(OUT)

# The browser check needs Debian's chromium; install it when we can (root, apt), otherwise the test skips loudly.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  (apt-get update -qq >/dev/null 2>&1; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1) \
	  || echo "note: chromium could not be installed; the browser test will be skipped"; }

# --durations=25 lists the slowest tests after every run: the suite's budget is 10 minutes on 2 cores
# (benchmarks/RESULTS.md, "Test suite"), and this is where a test that outgrows it shows first.
test: $(STAMP) browser
	$(BIN)/python -m pytest -q --durations=25

test-scale: $(STAMP)
	$(BIN)/python -m pip install -q -e ".[test,spark,ray]"
	$(BIN)/python -m pytest -q -m scale --durations=10

bench: $(STAMP)
	$(BIN)/python -m pip install -q -e ".[bench]"
	$(BIN)/python benchmarks/bench_features.py

clean:
	rm -rf $(VENV) results .pytest_cache
