# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HIRESIM := $(VENV)/bin/hiresim
STAMP := $(VENV)/.installed

.PHONY: install run test test-fast lint typecheck format bench docs results clean

# uv (a dev dependency, also what scripts/test-matrix builds its environments with) installs the
# project in about 13 s here, pip in about 80 s.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet uv
	$(VENV)/bin/uv pip install --quiet --python $(PY) -e ".[dev,explore]"
	touch $(STAMP)

install: $(STAMP)

# About 2 minutes on 2 idle cores (2 x 40 runs of 20k students, 120 months, in about 90 s, then
# compare, plots and the report).
# Re-running resumes: finished runs are kept and skipped.
run: $(STAMP)
	$(HIRESIM) run baseline full_blueprint --seeds 40 --students 20000 --out outputs/demo
	$(HIRESIM) compare outputs/demo --baseline baseline -m recent_grad_unemployment_rate \
		-m mean_starting_salary -m mean_starting_salary_mc -m mean_starting_salary_no_mc \
		-m mc_holder_share -m genai_mc_share -m students_enrolled -m salary_gini
	$(HIRESIM) plot outputs/demo -m recent_grad_unemployment_rate -m mean_starting_salary \
		--kind timeseries --kind difference
	$(HIRESIM) report outputs/demo
	@echo "Results: outputs/demo/ (metrics/ and groups/ as Parquet, manifest.json, plots/,"
	@echo "report.html); e.g."
	@echo "  python -c \"import pandas as pd; print(pd.read_parquet('outputs/demo/metrics'))\""

# Lint, then the suite here, on Python 3.12 and 3.13 and with the lowest admitted versions, two
# at a time (scripts/test-matrix), with the type check beside them.
test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	@# The type check runs beside the suites (one process for about 20 s).
	$(VENV)/bin/mypy & mypy=$$!; scripts/test-matrix --main; rc=$$?; wait $$mypy || rc=1; exit $$rc

# Lint, type-check and the suite on this Python only: for day-to-day work.
test-fast: lint
	$(PY) -m pytest

lint: $(STAMP) typecheck
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# mypy over sim/ with the settings of pyproject.toml's [tool.mypy].
typecheck: $(STAMP)
	$(VENV)/bin/mypy

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

docs: $(STAMP)
	$(HIRESIM) docs

# docs/results.md from a real run of the shipped headline scenarios (outputs/results/, resumable):
# 10 scenarios x 6 seeds of 20,000 students, 120 months; about 6 minutes on 2 busy cores.
results: $(STAMP)
	nice $(HIRESIM) results --seeds 6 --workers 2

bench: $(STAMP)
	$(PY) -m benchmarks.scale

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .mypy_cache .matrix
