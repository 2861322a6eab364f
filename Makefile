# The single entry point for building, testing and benchmarking fastcore.
PYTHON ?= python3

.PHONY: compile debug annotate asan fuzz-smoke test lint typecheck stubtest wheels bench bench-load demo clean

compile:  ## build the Cython kernels in place
	$(PYTHON) setup.py build_ext --inplace

debug:  ## build with line tracing (coverage of .pyx, gdb-friendly)
	FASTCORE_DEBUG=1 $(PYTHON) setup.py build_ext --inplace --force

annotate:  ## build and write Cython's HTML annotation next to each .pyx
	FASTCORE_ANNOTATE=1 $(PYTHON) setup.py build_ext --inplace --force

# AddressSanitizer + UBSan build of the kernels for fuzzing (docs/fuzzing.md). It goes to
# build/asan/ (a symlinked copy of fastcore/ and tests/ with sanitized .so files, and the
# coverage shim), never over the in-place .so files; run targets with bench/fuzz_campaign.py
# or by hand from build/asan/ with the preloads docs/fuzzing.md lists.
ASAN_DIR := build/asan
SANITIZE := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g
# Block coverage of the kernels for libFuzzer, through tests/fuzz/native/coverage_shim.c.
FUZZ_COVERAGE := -fsanitize-coverage=trace-pc

asan:  ## build the kernels with ASan + UBSan (and fuzzing coverage) into build/asan/
	rm -rf $(ASAN_DIR) && mkdir -p $(ASAN_DIR)
	cp -rs "$(CURDIR)/fastcore" $(ASAN_DIR)/
	find $(ASAN_DIR)/fastcore \( -name '*.so' -o -name __pycache__ \) -prune -exec rm -rf {} +
	ln -s "$(CURDIR)/tests" $(ASAN_DIR)/tests
	gcc -O2 -shared -fPIC -o $(ASAN_DIR)/libfastcore_fuzzcov.so tests/fuzz/native/coverage_shim.c -ldl
	CC=gcc CFLAGS="$(SANITIZE) $(FUZZ_COVERAGE)" LDFLAGS="$(SANITIZE)" $(PYTHON) setup.py \
		build_ext --build-lib $(ASAN_DIR) --build-temp build/asan-temp --force

fuzz-smoke:  ## run every fuzz target for a few seconds (what CI does)
	$(PYTHON) -m pytest tests/fuzz -q

test: compile
	$(PYTHON) -m pytest

lint:
	ruff check .
	ruff format --check .

typecheck:
	$(PYTHON) -m mypy

stubtest: compile
	for module in http_parser response_writer protocol router template_runtime template_filters security_gate websocket_frames websocket_protocol; do \
		$(PYTHON) -m mypy.stubtest fastcore._speedups.$$module \
			--allowlist tests/typing/stubtest-allowlist.txt --ignore-unused-allowlist || exit 1; \
	done

# The sdist and a manylinux wheel per supported CPython found on PATH or in pyenv
# (docs/installing.md), built in parallel and repaired with auditwheel, into dist/.
wheels:
	$(PYTHON) .ci/build_wheels.py --out dist --require-all

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
