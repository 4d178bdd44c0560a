# The two commands: `make run` (demo on a fresh machine) and `make test` (the whole suite).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV_VERSION := 0.13.9
PORT ?= 8000
export DJANGO_SETTINGS_MODULE ?= brokerportal.settings.dev

.PHONY: run test lint bench stop install db migrate demo worker format

$(VENV)/.installed: requirements.lock pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(VENV)/bin/uv pip sync --quiet --python $(PY) requirements.lock
	touch $@

install: $(VENV)/.installed

# Without DATABASE_URL: the embedded, project-local PostgreSQL under .data/.
db: install
	@if [ -z "$$DATABASE_URL" ]; then $(PY) -m brokerportal.embedded_pg start; fi

migrate: db
	$(PY) manage.py migrate_all --verbosity 0

demo: migrate
	$(PY) manage.py brokerportal demo

run: migrate
	$(PY) manage.py brokerportal demo
	@if [ -n "$$CELERY_BROKER_URL" ]; then \
		$(VENV)/bin/celery -A brokerportal worker --loglevel=INFO --concurrency=2 \
			--pidfile=.data/celery.pid --logfile=.data/celery.log --detach; \
		echo "Celery worker started on $$CELERY_BROKER_URL (log: .data/celery.log)"; \
	else echo "No CELERY_BROKER_URL: tasks run in-process (eager)."; fi
	@echo "Serving on http://northwind.localhost:$(PORT)/ and http://harbor.localhost:$(PORT)/ (operator: http://platform.localhost:$(PORT)/admin/)"
	$(PY) manage.py runserver 0.0.0.0:$(PORT)

test: db
	DJANGO_SETTINGS_MODULE=brokerportal.settings.test $(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy --strict ledger/domain
	$(PY) manage.py makemigrations --check --dry-run

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: db
	DJANGO_SETTINGS_MODULE=brokerportal.settings.test $(PY) -m bench $(if $(ONLY),--only $(ONLY),)

stop:
	@if [ -f .data/celery.pid ]; then kill $$(cat .data/celery.pid) 2>/dev/null || true; rm -f .data/celery.pid; fi
	@if [ -x $(PY) ]; then $(PY) -m brokerportal.embedded_pg stop; fi
