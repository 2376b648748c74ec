# One verb per task. `make run` and `make test` are all a newcomer needs.
.DEFAULT_GOAL := help
.PHONY: help run test train retrain validate bench understanding fuzz markers lint purge audit

help: ## List the tasks
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

run: ## Install if needed, train if stale, start (and keep up) the assistant, print where to talk to it
	@bash scripts/run.sh

test: ## Run the whole test suite (installs and trains what is missing)
	@bash scripts/test.sh

train: ## Train a new model if the data or config changed
	@bash scripts/setup.sh && .venv/bin/python scripts/train_if_stale.py

retrain: ## Staff: validate, train, check quality and load the new model (staff/README.md)
	@bash scripts/setup.sh && .venv/bin/python -m staff.retrain

validate: ## Check the training data and the clinic data file
	@bash scripts/setup.sh && .venv/bin/python scripts/validate_data.py && .venv/bin/python -m actions.clinic_data

bench: ## Run the benchmarks and write a dated report under benchmarks/reports/
	@bash scripts/setup.sh && .venv/bin/python -m benchmarks.run

understanding: ## Understanding only: the project beside Rasa default and TF-IDF+LR, development and blind sets (~1 hour)
	@bash scripts/setup.sh && .venv/bin/python -m benchmarks.understanding_comparison

fuzz: ## Random whole conversations against fresh servers (FUZZ_CONVERSATIONS=2000, FUZZ_SEED=now)
	@bash scripts/setup.sh && .venv/bin/python -m tests.conversation_fuzzer \
		--conversations $(or $(FUZZ_CONVERSATIONS),2000) $(if $(FUZZ_SEED),--seed $(FUZZ_SEED))

purge: ## Delete conversations older than CONVERSATION_RETENTION_DAYS (90); run it daily
	@bash scripts/setup.sh && .venv/bin/python -m staff.conversations purge

audit: ## Check the locked packages for known vulnerabilities (pip-audit; security/audit-exceptions.yml)
	@bash scripts/setup.sh && bash scripts/audit.sh

markers: ## Count Rasa's conversation markers (staff/markers.yml) over the stored conversations
	@bash scripts/setup.sh && eval "$$(.venv/bin/python settings.py --export)" && mkdir -p var \
		&& .venv/bin/python -m rasa_extensions.rasa_command evaluate markers all --config staff/markers.yml \
		--endpoints endpoints.yml --stats-file-prefix var/markers-stats var/markers.csv \
		&& cat var/markers-stats-overall.csv

lint: ## Lint the Python code
	@bash scripts/setup.sh && .venv/bin/ruff check .
