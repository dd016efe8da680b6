# The two quick-start commands: `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app onestop

.PHONY: run test translations extract lint mutation

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

translations: $(VENV)/.installed
	$(VENV)/bin/pybabel compile -d onestop/translations

extract: $(VENV)/.installed
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o onestop/translations/messages.pot .
	$(VENV)/bin/pybabel update -N -i onestop/translations/messages.pot -d onestop/translations

run: translations
	$(FLASK) db upgrade
	$(FLASK) demo seed
	$(PY) scripts/run_all.py

test: translations
	bash scripts/test.sh

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check onestop workers tests

# Not part of CI: mutants of workflow.py, policy.py and deadlines.py against the fast SQLite tests.
mutation: translations
	$(PY) -m pip install -q -e '.[mutation]'
	$(PY) scripts/mutation.py
