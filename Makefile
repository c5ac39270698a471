# tflayers: the README's commands. `make reproduce` and `make test` set everything up first.
#
#   make setup        venv with the pinned TensorFlow wheel + pkg-config file for libtensorflow
#   make models       export the article's five graphs (and models of your own) into models/<name>/
#   make build        release build of the Rust binary
#   make install      put `tflayers` on the PATH (cargo install; PREFIX=DIR for DIR/bin)
#   make reproduce    train the five models from Rust, in the article's order
#   make test         every test: Rust and Python, plus the lint checks
#   make test-compare Rust against Python on a tiny dataset, five models (part of make test)
#   make bench        Rust against Python, side by side: training step, evaluation, start-up, memory
#   make bench-reproduce  `tflayers reproduce` against python/train.py run five times
#   make bench-data   loading MNIST: Rust against Python (NumPy), side by side
#
# GPU hosts: `make setup GPU=1` installs tensorflow[and-cuda] instead of tensorflow-cpu; later
# commands keep the installed flavour until `make setup GPU=0` switches back.

SHELL := /bin/bash
# TensorFlow's INFO logs (SavedModel loading) stay out of test and run output.
export TF_CPP_MIN_LOG_LEVEL ?= 1
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
TFLIB := $(VENV)/libtensorflow
# Unless given, GPU follows the flavour already installed, so `make test` on a GPU venv keeps it.
GPU ?= $(if $(wildcard $(VENV)/.installed-1),1,0)
TF_VERSION := $(shell sed -n 's/^tensorflow-cpu==\([0-9.]*\).*/\1/p' python/requirements.txt)
ifeq ($(GPU),1)
TF_WHEEL := tensorflow[and-cuda]==$(TF_VERSION)
TF_OTHER := tensorflow-cpu
else
TF_WHEEL := tensorflow-cpu==$(TF_VERSION)
TF_OTHER := tensorflow
endif
DATA_DIR ?= $(or $(TFLAYERS_DATA_DIR),data/mnist)
STEPS ?= 1000
MODELS := dense hidden conv1 conv2 dropout
BIN := target/release/tflayers
MODEL_STAMP := models/.exported
CARGO_FLAGS ?=

.PHONY: setup models build install reproduce test test-rust test-python test-real lint bench clean test-compare

# Setup ends with the exported models, so plain `cargo test` and `cargo run` work after it.
setup: $(TFLIB)/tensorflow.pc $(MODEL_STAMP)

# The venv is rebuilt when the pins change; its stamp names the TensorFlow flavour. Both
# flavours own the same tensorflow/ folder, so switching removes both, then installs one.
$(VENV)/.installed-$(GPU): python/requirements.txt python/requirements-nodeps.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@if $(PY) -m pip show --quiet $(TF_OTHER) >/dev/null 2>&1; then \
	  echo "switching TensorFlow flavour: removing $(TF_OTHER)"; \
	  $(PY) -m pip uninstall --quiet --yes tensorflow tensorflow-cpu; \
	fi
	$(PY) -m pip install --quiet --disable-pip-version-check \
	  $$(grep -v '^tensorflow-cpu==' python/requirements.txt | grep -v '^#') '$(TF_WHEEL)'
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -r python/requirements-nodeps.txt
	@rm -f $(VENV)/.installed-*
	touch $@

# Symlinks with the names the linker looks for, and a pkg-config file for tensorflow-sys.
$(TFLIB)/tensorflow.pc: $(VENV)/.installed-$(GPU)
	@mkdir -p $(TFLIB)
	@wheel=$$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/tensorflow; \
	test -f $$wheel/libtensorflow_cc.so.2 || { echo "error: $$wheel/libtensorflow_cc.so.2 missing; the TensorFlow wheel did not install"; exit 1; }; \
	ln -sf $$wheel/libtensorflow_cc.so.2 $(TFLIB)/libtensorflow.so; \
	ln -sf $$wheel/libtensorflow_framework.so.2 $(TFLIB)/libtensorflow_framework.so; \
	printf '%s\n' "libdir=$$(cd $(TFLIB) && pwd)" "wheeldir=$$wheel" "" \
	  "Name: tensorflow" "Description: libtensorflow from the pinned Python wheel" \
	  "Version: $(TF_VERSION)" 'Libs: -L$${libdir} -ltensorflow -ltensorflow_framework' 'Cflags:' > $@.tmp; \
	mv $@.tmp $@
	@echo "libtensorflow $(TF_VERSION) ready: $$(readlink $(TFLIB)/libtensorflow.so)"

# Exported SavedModels; rebuilt when the layer code, the exporter or the manifest change.
models: $(MODEL_STAMP)
# Models of one's own (`python/export.py --add`) are re-exported from their source files too;
# the worked example's is listed here, a file elsewhere is re-exported by running --add again.
$(MODEL_STAMP): $(TFLIB)/tensorflow.pc python/graphs.py python/export.py python/manifest.py \
  python/user_models.py python/examples/batchnorm.py models/manifest.json
	$(PY) python/export.py --out models
	touch $@

build: setup
	cargo build --release $(CARGO_FLAGS)

# `cargo install --path .` with the release build's folder, so nothing is compiled twice;
# cargo puts the binary in ~/.cargo/bin (or PREFIX/bin). It still uses this checkout:
# libtensorflow in .venv (the binary's rpath) and the exported models in models/ (the
# models folder it falls back to), so keep the checkout where it is (docs/install.md).
PREFIX ?=
install: build
	cargo install --path . --locked --target-dir target $(if $(PREFIX),--root $(PREFIX)) $(CARGO_FLAGS)

reproduce: build models
	$(BIN) reproduce --steps $(STEPS) --data-dir $(DATA_DIR)

lint: setup
	cargo fmt --check
	cargo clippy --all-targets $(CARGO_FLAGS) -- -D warnings
	RUSTDOCFLAGS="-D warnings" cargo doc --no-deps $(CARGO_FLAGS)
	$(VENV)/bin/ruff check python
	$(VENV)/bin/ruff format --check python

test-python: models
	$(VENV)/bin/pytest -q python/tests

test-rust: models
	cargo test $(CARGO_FLAGS)

test: lint test-rust test-python

# Tests on the real data sets (run by .ci/run): MNIST in REAL_MNIST, Fashion-MNIST in
# REAL_FASHION_MNIST (where Debian's dataset-fashion-mnist package installs it). Every one of
# them must run and print that it ran on real data (.ci/real-tests counts them); a missing
# folder fails here, naming what to get.
REAL_MNIST ?= $(DATA_DIR)
REAL_FASHION_MNIST ?= /usr/share/datasets/fashion-mnist
FASHION_PACKAGE := dataset-fashion-mnist
test-real: models
	@test -f $(REAL_MNIST)/train-images-idx3-ubyte.gz || \
	  { echo "error: no MNIST in $(REAL_MNIST): pass REAL_MNIST=DIR" >&2; exit 1; }
	@test -f $(REAL_FASHION_MNIST)/train-images-idx3-ubyte.gz || \
	  { echo "error: no Fashion-MNIST in $(REAL_FASHION_MNIST): apt-get install $(FASHION_PACKAGE)," \
	    "or pass REAL_FASHION_MNIST=DIR" >&2; exit 1; }
	TFLAYERS_REAL_MNIST=$(REAL_MNIST) TFLAYERS_REAL_FASHION_MNIST=$(REAL_FASHION_MNIST) \
	  .ci/real-tests real_mnist $(CARGO_FLAGS)
	TFLAYERS_REAL_MNIST=$(REAL_MNIST) .ci/real-tests compare $(CARGO_FLAGS)
	TFLAYERS_REAL_MNIST=$(REAL_MNIST) .ci/real-tests serving $(CARGO_FLAGS)

# Rust against Python (tests/compare.rs, also part of `make test`): the five models on a tiny
# generated dataset must be identical, and a perturbed Python side must be caught.
test-compare: models
	cargo test $(CARGO_FLAGS) --test compare -- --nocapture

# The README's table: every model, Rust and Python taking turns (BENCH_FLAGS adds flags, e.g.
# --steps 200 --repeat 5 --breakdown --json bench.json).
BENCH_FLAGS ?=
bench: build models
	$(BIN) bench --data-dir $(DATA_DIR) $(BENCH_FLAGS)

.PHONY: bench-reproduce
bench-reproduce: build models
	$(BIN) bench --reproduce --steps $(STEPS) --data-dir $(DATA_DIR) $(BENCH_FLAGS)

.PHONY: bench-data
BENCH_REPEAT ?= 11
bench-data: build
	$(BIN) data bench --data-dir $(DATA_DIR) --repeat $(BENCH_REPEAT)

clean:
	cargo clean
	rm -rf models/*/ $(MODEL_STAMP)
