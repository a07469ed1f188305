# ODAVL Cloud. `make serve` runs the service locally; `make test` runs every test.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAGE  ?= dev
STAMP  := $(VENV)/.installed

export AWS_DEFAULT_REGION ?= us-east-1
# The browser tests drive Debian's Chromium; Playwright never downloads a browser of its own.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
CHROMIUM ?= /usr/bin/chromium

.PHONY: venv chromium serve test test-fast package bench clean

venv: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt constraints.txt cli/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==25.3"
	$(BIN)/python -m pip install --quiet -c constraints.txt -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet -c constraints.txt -e cli
	touch $(STAMP)

serve: venv
	$(BIN)/python -m infra.serve

# Debian's chromium package when the browser is missing (as root), else one line saying what to install.
chromium:
	@test -x $(CHROMIUM) || [ "$$(id -u)" != 0 ] || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@test -x $(CHROMIUM) || { echo "The browser tests need Chromium at $(CHROMIUM): install Debian's package with 'sudo apt-get install chromium'." >&2; exit 1; }

test: venv chromium
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q $(PYTEST_ARGS)

package: venv
	rm -rf build/$(STAGE)
	$(BIN)/python -m infra.package $(STAGE) build/$(STAGE)
	$(BIN)/cfn-lint build/$(STAGE)/sam.json

# Lighthouse for the dashboard figures: the pinned npm package of bench/lighthouse (Node 20), only for make bench.
LIGHTHOUSE := bench/lighthouse/node_modules/.package-lock.json

$(LIGHTHOUSE): bench/lighthouse/package.json bench/lighthouse/package-lock.json
	cd bench/lighthouse && npm ci --no-audit --no-fund --loglevel=error
	touch $(LIGHTHOUSE)

bench: venv chromium $(LIGHTHOUSE)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) build .pytest_cache
