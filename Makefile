# Two commands: `make demo` and `make test`. Everything else is a helper they call.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test install vendor lint clean translations screenshots

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## make demo: a seeded SQLite demo served on http://127.0.0.1:5000 with the logins printed
demo: $(STAMP)
	$(BIN)/sandan demo

## make test: the whole suite on SQLite and PostgreSQL (browser tests need Debian's chromium)
TEST_JOBS ?= 2
test: $(STAMP)
	$(BIN)/python -m pytest -n $(TEST_JOBS) $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check workflow api web tests bench
	$(BIN)/lint-imports

## make vendor: refresh the front-end assets in web/static/vendor from npm (maintainers only)
vendor:
	$(PYTHON) web/vendor.py

## make translations: extract the web pages' texts, merge them into the Chinese catalogue, compile
translations: $(STAMP)
	$(BIN)/sandan i18n update

## make screenshots: render the demo's main pages to docs/screenshots/ (needs Debian's chromium)
screenshots: $(STAMP)
	$(BIN)/python docs/screenshots.py

clean:
	rm -rf $(VENV) instance .pytest_cache
