# The two commands of the README: `make demo` and `make test`.
# Each creates .venv and installs what it needs when missing; a stamp keyed on pyproject.toml
# makes a second call skip the install.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Colab and GPU users install the [gpu] extra or nothing (Colab ships tensorflow); CI uses tensorflow-cpu.
TF_EXTRA ?= cpu
# The [pretrained] extra's torch: the CPU wheel, installed first so pip does not pull the CUDA build (GBs).
# GPU users: make install TORCH=torch
TORCH ?= torch==2.13.0
STAMP := $(VENV)/.installed-$(TF_EXTRA)

.PHONY: demo test test-fast test-light lint install browser clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q "$(TORCH)"
	$(BIN)/python -m pip install -q -e '.[$(TF_EXTRA),dev,pretrained,cluster,serve,export]'
	touch $@

install: $(STAMP)

# The page test of `emotion serve` drives the system's Chromium (playwright cannot download its own browser
# offline) and needs a Korean font. Installed with apt when missing (CI: root on Debian); nothing when present.
CHROMIUM ?= /usr/bin/chromium
KOREAN_FONT ?= /usr/share/fonts/truetype/nanum
browser:
	@if [ ! -x $(CHROMIUM) ] || [ ! -d $(KOREAN_FONT) ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing chromium and fonts-nanum with apt-get (for the page test of emotion serve)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-nanum >/dev/null; \
	  else echo "warning: $(CHROMIUM) or a Korean font is missing; run as root: apt-get install chromium fonts-nanum"; fi; \
	fi

demo: $(STAMP)
	$(BIN)/emotion run

test: $(STAMP) browser
	$(BIN)/python -m ruff check .
	$(BIN)/python -m pytest -q -n 2 --dist loadfile
	$(MAKE) test-light

# The light predictor (README, "Exporting"): .venv-light holds the package with the [onnx] extra and pytest, no
# TensorFlow (checked after the install). The main venv builds a tiny corpus, models and their ONNX export into a
# temporary folder; the light venv's prediction tests read it (EMOTION_LIGHT_EXPORT) and fail without it.
LIGHT_VENV ?= .venv-light
LIGHT_STAMP := $(LIGHT_VENV)/.installed
LIGHT_TESTS := tests/export/test_light_predict.py

$(LIGHT_STAMP): pyproject.toml
	test -x $(LIGHT_VENV)/bin/python || $(PYTHON) -m venv $(LIGHT_VENV)
	$(LIGHT_VENV)/bin/python -m pip install -q --upgrade pip
	$(LIGHT_VENV)/bin/python -m pip install -q -e '.[onnx]' 'pytest>=7'
	$(LIGHT_VENV)/bin/python -c 'import importlib.util as u, sys; sys.exit("tensorflow in the light venv" if u.find_spec("tensorflow") else 0)'
	touch $@

test-light: $(STAMP) $(LIGHT_STAMP)
	tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(BIN)/python tests/export/export_build.py "$$tmp" >/dev/null && \
	EMOTION_LIGHT_EXPORT="$$tmp" EMOTION_LIGHT_VENV=1 $(LIGHT_VENV)/bin/python -m pytest -q -p no:cacheprovider $(LIGHT_TESTS)

# For iterating: the tests that train no network end to end (readers, settings, metrics, folds, fusion
# arithmetic, the package's shape). `make test` (the whole suite) is what CI runs.
FAST_TESTS := tests/test_architecture.py tests/test_files.py tests/test_settings.py tests/datasets \
	tests/training/test_metrics.py tests/training/test_folds.py tests/training/test_runs.py \
	tests/training/test_refused_settings.py tests/fusion/test_late_fusion.py tests/fusion/test_fusion_align.py \
	tests/features/test_tokenizers.py tests/features/test_bio_features.py tests/models

test-fast: $(STAMP)
	$(BIN)/python -m ruff check .
	$(BIN)/python -m pytest -q -n 2 --dist loadfile $(FAST_TESTS)

lint: $(STAMP)
	$(BIN)/python -m ruff check .

clean:
	rm -rf runs data/sample_* data/artifacts* .pytest_cache
