# One machine, two commands: `make run` (everything) and `make test` (the whole suite).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install run serve test lint format bench worker beat clean-var

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# torch first and pinned: a range would pull a multi-GB CUDA build.
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e ".[dev,bench]"
	rm -f $(VENV)/.installed-* && touch $(STAMP)

run: install
	mkdir -p var
	$(BIN)/python scripts/ensure_env.py
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput -v 0
	$(BIN)/python manage.py bootstrap
	@echo "Training the served two-stage recommender in the background (log: var/train_recommender.log);"
	@echo "until it is promoted, recommendations come from the EASE model trained by bootstrap."
	HF_HUB_OFFLINE=1 OMP_NUM_THREADS=1 nohup nice -n 5 $(BIN)/python manage.py train_recommender > var/train_recommender.log 2>&1 &
	$(MAKE) serve

serve:
	@echo "Serving the storefront at http://$(HOST):$(PORT)/ (customers sign in at /account/login/), the admin at http://$(HOST):$(PORT)/admin/ and the API at http://$(HOST):$(PORT)/api/docs/"
	# One process, many threads: models load once, and the default in-memory cache
	# keeps API throttles exact. Production mode (docs/operations.md) uses Redis.
	HF_HUB_OFFLINE=1 $(BIN)/gunicorn config.wsgi --bind $(HOST):$(PORT) --workers 1 --threads 8 --timeout 120 --access-logfile -

test: install
	bash scripts/test.sh

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format:
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Benchmarks print tables (ours beside the reference libraries); not part of the tests.
# benchmarks/api_load.py needs a running server; benchmarks/workers.py needs Redis.
bench: install
	$(BIN)/python benchmarks/recommender.py
	$(BIN)/python benchmarks/recommender_deep.py
	$(BIN)/python benchmarks/forecast.py
	$(BIN)/python benchmarks/pricing.py
	$(BIN)/python benchmarks/chatbot.py

worker:
	$(BIN)/celery -A config worker --loglevel INFO --concurrency 2

beat:
	$(BIN)/celery -A config beat --loglevel INFO
