# The two commands of the README, and their shared set-up step.
.PHONY: setup lab test lint

setup:            ## Debian packages, Python venv, Docker engine (idempotent; root)
	bash cluster/setup-host.sh

lab: setup        ## cluster up (builds the offline images once), then JupyterLab on the course
	.venv/bin/svclab up
	.venv/bin/svclab lab

lint:             ## style, formatting and types (no cluster needed)
	.venv/bin/ruff check src tests grader cluster/hub
	.venv/bin/ruff format --check src tests grader cluster/hub
	.venv/bin/mypy

test: setup lint  ## cluster and hub up, then the whole test suite against them
	.venv/bin/svclab up
	.venv/bin/svclab hub up
	.venv/bin/pytest
