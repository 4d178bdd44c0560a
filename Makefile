# The two commands: `make run` (demo on a fresh machine) and `make test` (the whole suite).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV_VERSION := 0.13.9
PORT ?= 8000
export DJANGO_SETTINGS_MODULE ?= brokerportal.settings.dev

.PHONY: run serve test lint bench stop install db migrate demo worker format

$(VENV)/.installed: requirements.lock pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(VENV)/bin/uv pip sync --quiet --python $(PY) requirements.lock
	touch $@

install: $(VENV)/.installed

# Without DATABASE_URL: the embedded, project-local PostgreSQL under .data/. With it: its
# database, created on that server if missing.
db: install
	@if [ -z "$$DATABASE_URL" ]; then $(PY) -m brokerportal.embedded_pg start; \
	else $(PY) manage.py database_create; fi

migrate: db
	$(PY) manage.py migrate_all --verbosity 0

demo: migrate
	$(PY) manage.py brokerportal demo

run: migrate
	@$(PY) manage.py brokerportal demo --quiet
	@if [ -n "$$CELERY_BROKER_URL" ]; then \
		$(VENV)/bin/celery -A brokerportal worker --loglevel=INFO --concurrency=2 \
			--pidfile=.data/celery.pid --logfile=.data/celery.log --detach; \
		echo "Celery worker started on $$CELERY_BROKER_URL (log: .data/celery.log)"; \
	else echo "No CELERY_BROKER_URL: tasks run in-process (eager; log: .data/app.log)."; fi
	@PORT=$(PORT) $(PY) manage.py brokerportal logins
	@echo "Serving on http://northwind.localhost:$(PORT)/ and http://harbor.localhost:$(PORT)/ (operator: http://platform.localhost:$(PORT)/admin/)"
	@PORT=$(PORT) $(PY) manage.py runserver 0.0.0.0:$(PORT)

# Production's process shape on one machine: gunicorn (2 x CPUs + 1 workers), a Celery worker and
# Celery beat, settings.serve (production without TLS, with the demo). Give DATABASE_URL and
# CELERY_BROKER_URL; liveness and readiness on /healthz.
# glibc's allocator: two arenas, and blocks from 128 KiB mapped and handed back when freed (fixed
# thresholds, see mallopt(3)): the web processes' memory then stays at what they use instead of
# keeping every transient peak (docs/scaling.md, "Soak").
SERVE_ALLOCATOR = MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=131072 MALLOC_TRIM_THRESHOLD_=131072
SERVE_ENV = $(SERVE_ALLOCATOR) DJANGO_SETTINGS_MODULE=brokerportal.settings.serve \
	SECRET_KEY="$$(cat .data/secret_key)" \
	ALLOWED_HOSTS="$${ALLOWED_HOSTS:-.localhost,localhost,127.0.0.1}" \
	PLATFORM_HOST="$${PLATFORM_HOST:-platform.localhost}"
SERVE_WORKERS ?= $(shell echo $$(( $$(nproc) * 2 + 1 )))

serve: migrate
	@mkdir -p .data && test -s .data/secret_key || $(PY) -c "import secrets; print(secrets.token_urlsafe(50))" > .data/secret_key
	$(PY) manage.py brokerportal demo
	$(SERVE_ENV) $(PY) manage.py collectstatic --noinput --verbosity 0
	@if [ -n "$$CELERY_BROKER_URL" ]; then \
		$(SERVE_ENV) $(VENV)/bin/celery -A brokerportal worker --loglevel=INFO --concurrency=2 \
			--pidfile=.data/celery.pid --logfile=.data/celery.log --detach && \
		$(SERVE_ENV) $(VENV)/bin/celery -A brokerportal beat --loglevel=INFO \
			--schedule=.data/celerybeat-schedule --pidfile=.data/celerybeat.pid \
			--logfile=.data/celerybeat.log --detach && \
		echo "Celery worker and beat started on $$CELERY_BROKER_URL (logs: .data/celery*.log)"; \
	else echo "No CELERY_BROKER_URL: tasks run in the web processes (eager)."; fi
	@echo "Serving with gunicorn ($(SERVE_WORKERS) workers) on http://northwind.localhost:$(PORT)/ and http://harbor.localhost:$(PORT)/"
	$(SERVE_ENV) $(VENV)/bin/gunicorn brokerportal.wsgi:application --bind 0.0.0.0:$(PORT) \
		--workers $(SERVE_WORKERS) --timeout 60 --access-logfile .data/access.log

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
	@for pidfile in .data/celery.pid .data/celerybeat.pid; do \
		if [ -f $$pidfile ]; then kill $$(cat $$pidfile) 2>/dev/null || true; rm -f $$pidfile; fi; done
	@if [ -x $(PY) ]; then $(PY) -m brokerportal.embedded_pg stop; fi
