# The single list of commands. `make run` and `make test` are the two a newcomer needs.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
CELERY := $(VENV)/bin/celery
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test venv migrate seed worker web beat lint migrations-check graph bench backup restore clean messages messages-compile

# The venv is rebuilt only when requirements.txt changes.
$(VENV)/.installed: requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

venv: $(VENV)/.installed

migrate: venv messages-compile
	$(PY) manage.py migrate --noinput

# Hindi (locale/hi/LC_MESSAGES/django.po). `make messages` collects every string marked for
# translation into the .po (needs GNU gettext: apt-get install gettext); fill in each new
# msgstr, then `make messages-compile` (pure Python, Babel: no gettext needed; run by `make
# run` and `make test`). tests/family/test_translations.py fails on an empty or fuzzy entry.
messages: venv
	$(PY) manage.py makemessages -l hi --no-location --no-obsolete --ignore=.venv --ignore=node_modules --ignore=tests --ignore=var --ignore=var-ci --ignore=staticfiles

messages-compile: venv
	$(PY) manage.py compile_translations

seed: migrate
	$(PY) manage.py seed_demo

# Web server and a Celery worker with beat, on the embedded default unless DATABASE_URL /
# REDIS_URL say otherwise. Ctrl-C stops both.
run: seed
	@mkdir -p var
	@# One sweep now, so the demo's due reminders go out at once (beat repeats it every 15 min).
	$(PY) manage.py send_reminders
	@$(CELERY) -A npp worker -B -l info --concurrency 1 > var/celery.log 2>&1 & \
	  echo $$! > var/celery.pid; \
	  echo "Celery worker + beat started (log: var/celery.log)"; \
	  trap 'kill -TERM $$(cat var/celery.pid) 2>/dev/null; rm -f var/celery.pid' EXIT INT TERM; \
	  $(PY) manage.py runserver $(HOST):$(PORT)

# The same commands docker-compose.yml runs, for a production-shaped stack. The production
# profile serves hashed static files from a manifest only collectstatic writes (without it
# the server refuses to start: npp/checks.py), so `web` collects them first.
web: venv messages-compile
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(VENV)/bin/gunicorn npp.wsgi:application --bind $(HOST):$(PORT) --workers 4

worker: venv messages-compile
	$(CELERY) -A npp worker -l info

beat: venv
	$(CELERY) -A npp beat -l info

# axe-core for the browser tests' accessibility checks (package-lock.json pins it). `make test`
# installs it when npm is there; without it those checks are skipped, saying so.
node_modules/axe-core: package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

test: venv messages-compile $(if $(shell command -v npm 2>/dev/null),node_modules/axe-core)
	$(PY) -m pytest

# ruff, then the apps' layers (pyproject.toml [tool.importlinter]): no import points up, then
# mypy with django-stubs on npp, cases and documents (pyproject.toml [tool.mypy]).
lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

migrations-check: venv
	$(PY) manage.py makemigrations --check --dry-run

# Regenerates the committed state diagram (needs Graphviz's `dot`: apt-get install graphviz).
graph: venv
	$(PY) manage.py graph_transitions cases.Case -o docs/state-diagram.svg && rm -f docs/state-diagram && cp docs/state-diagram.svg static/npp/state-diagram.svg

# Every benchmark script (benchmarks/_*.py are helpers); each needs DATABASE_URL on PostgreSQL
# and says so otherwise. Figures go into docs/benchmarks.md.
bench: venv
	@ls benchmarks/[!_]*.py >/dev/null 2>&1 && for f in benchmarks/[!_]*.py; do $(PY) $$f || exit 1; done || echo "No benchmarks yet."

# Archive the database (pg_dump, or SQLite's online backup API) and the private documents with
# a manifest of SHA-256 sums and row counts, under var/backups/ (or BACKUP_DIR=...).
backup: venv
	$(PY) manage.py backup_data $(if $(BACKUP_DIR),--dir "$(BACKUP_DIR)")

# Check FILE against its manifest, then restore it into an EMPTY database and document store.
restore: venv
	@test -n "$(FILE)" || { echo "Usage: make restore FILE=var/backups/npp-backup-<time>.tar.gz (restores into an empty database and store)"; exit 2; }
	$(PY) manage.py restore_data "$(FILE)"

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache
