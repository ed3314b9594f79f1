# Qonys: `make run` starts the server, `make test` runs every test. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCALES := kk ru en

.PHONY: install run test lint format messages messages-compile chromium bench clean lock

install: $(STAMP) messages-compile

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[test]' \
		--config-settings editable_mode=compat
	touch $(STAMP)

# Resolve the newest versions pyproject.toml allows in a scratch venv and pin them.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade pip
	.lock-venv/bin/python -m pip install --quiet '.[test]'
	{ head -2 requirements.lock; .lock-venv/bin/python -m pip freeze --exclude-editable \
		| grep -v '^qonys'; } > requirements.lock.new && mv requirements.lock.new requirements.lock
	rm -rf .lock-venv

run: install
	$(BIN)/qonys run

test: install chromium
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Extract interface strings and merge them into each catalog; then translate the empty ones.
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k ngettext:1,2 --no-location --sort-output \
		--project=Qonys --copyright-holder="Qonys contributors" -o locales/messages.pot .
	for l in $(LOCALES); do \
		if [ -f locales/$$l/LC_MESSAGES/messages.po ]; then \
			$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete -i locales/messages.pot -d locales -l $$l; \
		else \
			$(BIN)/pybabel init -i locales/messages.pot -d locales -l $$l; \
		fi; \
	done

messages-compile: $(STAMP)
	$(BIN)/pybabel compile --statistics -d locales 2>&1 | grep -v '^$$' || true

# Browser tests drive Debian's Chromium; install it when missing and we may (root in CI).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then \
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
			|| echo "could not install chromium: browser tests will be skipped"; \
		elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then \
			sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else echo "chromium missing and no root: browser tests will be skipped"; fi; }

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
	find locales -name '*.mo' -delete
