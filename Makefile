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

.PHONY: demo test test-fast lint install browser clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q "$(TORCH)"
	$(BIN)/python -m pip install -q -e '.[$(TF_EXTRA),dev,pretrained,cluster,serve]'
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
