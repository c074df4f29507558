# Two entry points (see README): `make gallery` and `make test`.
# Each creates .venv with the project's own dependencies on first use.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: gallery test bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

gallery: $(STAMP)
	$(VENV)/bin/symdl gallery --out figures

test: $(STAMP)
	$(VENV)/bin/python -m pytest

# The benchmark suite (README "Benchmarks"); PyTorch and JAX come from the `bench` extra.
bench: $(STAMP)
	$(VENV)/bin/python -m pip install --quiet -e '.[bench]'
	$(VENV)/bin/python -m bench.run

clean:
	rm -rf $(VENV) build *.egg-info symdl.egg-info
