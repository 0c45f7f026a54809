# Two commands: `make run` (the suite on this machine) and `make test` (the whole test suite).
# Both install what is missing first: the Python virtualenv, RabbitMQ (Debian package) and the
# embedded FerretDB (built once from the Go module). Nothing is reinstalled when present.
SHELL := /bin/bash
PY := .venv/bin/python
VENV_STAMP := .venv/.installed-$(shell sha1sum requirements.txt | cut -c1-12)
FERRETDB := .cache/bin/ferretdb
REPLICAS ?= 1
PYTEST_ARGS ?=
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: deps run test test-unit test-integration test-e2e test-miniprogram test-faults fuzz infra bench load clean-data

deps: $(VENV_STAMP) $(FERRETDB) /usr/sbin/rabbitmq-server /usr/bin/docker-compose /usr/bin/chromium

$(VENV_STAMP): requirements.txt
	@test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@rm -f .venv/.installed-* && touch $@

/usr/sbin/rabbitmq-server:
	@echo "Installing RabbitMQ from Debian's packages ..."
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq rabbitmq-server >/dev/null

# only to check docker-compose.yml with a real Compose parser (no Docker engine runs here)
/usr/bin/docker-compose:
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq docker-compose >/dev/null || \
	  { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq docker-compose >/dev/null; }

# headless browser for the staff console tests (Playwright drives Debian's chromium; a CJK font
# so that screenshots show the Chinese text)
/usr/bin/chromium:
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium fonts-wqy-zenhei >/dev/null || \
	  { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium fonts-wqy-zenhei >/dev/null; }

$(FERRETDB): tools/ferretdb/main.go tools/ferretdb/go.mod tools/ferretdb/go.sum
	@echo "Building FerretDB (once; cached in .cache/) ..."
	cd tools/ferretdb && go build -o ../../$(FERRETDB) .

run: deps
	$(PY) -m tools.stack run --replicas $(REPLICAS)

infra: deps
	$(PY) -m tools.stack infra

MP_STAMP := miniprogram/node_modules/.installed

$(MP_STAMP): miniprogram/package-lock.json
	cd miniprogram && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

test: deps $(MP_STAMP)
	cd miniprogram && npm test
	$(PY) -m pytest tests --ignore=tests/faults $(PYTEST_ARGS)
	$(PY) -m pytest tests/faults $(PYTEST_ARGS)

# deeper fuzzing than make test's pass (schemathesis, every route, three kinds of caller)
fuzz: deps
	FUZZ_EXAMPLES=25 $(PY) -m pytest tests/e2e/test_fuzz_openapi.py $(PYTEST_ARGS)

# faults: kills, stalls and restarts of our processes, RabbitMQ and the database (own stack)
test-faults: deps
	$(PY) -m pytest tests/faults $(PYTEST_ARGS)

test-miniprogram: $(MP_STAMP)
	cd miniprogram && npm test

test-unit: $(VENV_STAMP)
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

test-integration: deps
	$(PY) -m pytest tests/integration $(PYTEST_ARGS)

test-e2e: deps
	$(PY) -m pytest tests/e2e $(PYTEST_ARGS)

LOAD_STAMP := .venv-load/.installed-$(shell sha1sum requirements-load.txt | cut -c1-12)

$(LOAD_STAMP): requirements-load.txt
	@test -x .venv-load/bin/python || python3 -m venv .venv-load
	.venv-load/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-load.txt
	@rm -f .venv-load/.installed-* && touch $@

bench: deps $(LOAD_STAMP)
	$(PY) -m loadtests.bench

# journeys under load (loadtests/locustfile.py); LOAD_USERS, LOAD_SECONDS, LOAD_HOST overridable
LOAD_USERS ?= 20
LOAD_SECONDS ?= 60
load: deps $(LOAD_STAMP)
	LOAD_USERS=$(LOAD_USERS) LOAD_SECONDS=$(LOAD_SECONDS) REPLICAS=$(REPLICAS) $(PY) -m loadtests.run_load

clean-data:
	rm -rf .data
