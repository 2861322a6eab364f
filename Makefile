# The single entry point for building, testing and benchmarking fastcore.
PYTHON ?= python3

.PHONY: compile debug annotate test lint typecheck stubtest bench bench-load demo clean

compile:  ## build the Cython kernels in place
	$(PYTHON) setup.py build_ext --inplace

debug:  ## build with line tracing (coverage of .pyx, gdb-friendly)
	FASTCORE_DEBUG=1 $(PYTHON) setup.py build_ext --inplace --force

annotate:  ## build and write Cython's HTML annotation next to each .pyx
	FASTCORE_ANNOTATE=1 $(PYTHON) setup.py build_ext --inplace --force

test: compile
	$(PYTHON) -m pytest

lint:
	ruff check .
	ruff format --check .

typecheck:
	$(PYTHON) -m mypy

stubtest: compile
	for module in http_parser response_writer protocol router template_runtime security_gate websocket_frames websocket_protocol; do \
		$(PYTHON) -m mypy.stubtest fastcore._speedups.$$module \
			--allowlist tests/typing/stubtest-allowlist.txt --ignore-unused-allowlist || exit 1; \
	done

bench: compile
	$(PYTHON) -m pytest bench/micro --benchmark-only

bench-load: compile
	$(PYTHON) bench/load/run.py

demo: compile
	$(PYTHON) -m examples.demo

clean:
	rm -rf build dist *.egg-info
	find ext -name '*.c' -delete
	find ext -name '*.html' -delete
	rm -f fastcore/_speedups/*.so
