# Denial analytics — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DB     ?= data/warehouse.duckdb
PORT   ?= 8501
SIZE   ?= 1m

.PHONY: run test install demo dashboard clean-demo fuzz bench load-test

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

# Build the demo warehouse only when there is none (a real warehouse is never overwritten).
$(DB): | install
	$(BIN)/python -m etl demo --db $(DB)

demo: install $(DB)

run: install $(DB)
	DENIALS_DB=$(DB) $(BIN)/python -m pages.serve --server.address 127.0.0.1 --server.port $(PORT) \
		--server.headless true --browser.gatherUsageStats false

# One worker per core (TEST_WORKERS=0 runs in one process); the tests of one file share a worker and
# its fixtures. Every test builds its own warehouse files, ports and screenshots, so workers never collide.
TEST_WORKERS ?= auto
test: install
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile --durations=15

# Hostile-input fuzzing: a few minutes of generated inputs against the readers and the loader.
FUZZ_EXAMPLES ?= 3000
fuzz: install
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -q tests/test_fuzz_tabular.py $(wildcard tests/test_fuzz_x12.py)

clean-demo:
	rm -f $(DB) $(DB).key
	rm -rf data/demo-input

# Measurements (issue 6): `make bench SIZE=tiny|1m|10m|1m,10m`; table on stdout, JSON in bench-results/.
bench: install
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-bench.txt
	nice -n 19 $(BIN)/python scripts/bench.py --size $(SIZE)

# Many users (issue 8): N concurrent dashboard sessions for LOAD_SECONDS each against the demo warehouse
# (loopback only); p50/p95 page times, errors and the server's memory per N. docs/reliability.md.
LOAD_USERS   ?= 1,5,20
LOAD_SECONDS ?= 30
load-test: install $(DB)
	$(BIN)/python scripts/load_test.py --db $(DB) --users $(LOAD_USERS) --duration $(LOAD_SECONDS)
