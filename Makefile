# Two commands: `make run` (dashboard on sample data) and `make test`.
PYTHON ?= python3
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
PORT ?= 8501

.PHONY: run test lint format sample bench clean

$(UV):
	@command -v uv >/dev/null 2>&1 && { mkdir -p $(TOOLS)/bin && ln -sf "$$(command -v uv)" $(UV); } \
	  || { $(PYTHON) -m venv $(TOOLS) && $(TOOLS)/bin/pip install -q uv; }

$(VENV)/.synced-run: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --python $(PYTHON) --no-extra test
	@rm -f $(VENV)/.synced-test $(VENV)/.synced-bench && touch $@

$(VENV)/.synced-test: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --python $(PYTHON) --extra test
	@rm -f $(VENV)/.synced-bench && touch $@ $(VENV)/.synced-run

$(VENV)/.synced-bench: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --python $(PYTHON) --extra test --extra bench
	@touch $@ $(VENV)/.synced-test $(VENV)/.synced-run

run: $(VENV)/.synced-run
	@bash scripts/system-deps.sh browser
	$(VENV)/bin/carepulse sample --if-empty
	$(VENV)/bin/streamlit run app.py --server.port $(PORT) --server.headless true

test: $(VENV)/.synced-test
	@bash scripts/system-deps.sh
	$(VENV)/bin/pytest

lint: $(VENV)/.synced-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.synced-test
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Speed and memory against baselines (benchmarks/README.md); SCALE=0.01 for a quick look.
SCALE ?= 1
bench: $(VENV)/.synced-bench
	$(VENV)/bin/python -m benchmarks.run --scale $(SCALE) $(BENCH_ARGS)

sample: $(VENV)/.synced-run
	$(VENV)/bin/python -m sample_data.generate

clean:
	rm -rf $(VENV) $(TOOLS) data tests/artifacts
