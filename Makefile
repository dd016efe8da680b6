# The two quick-start commands: `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app onestop

.PHONY: run test translations extract lint mutation

# What running needs; the test tools only for `make test`.
$(VENV)/.installed: pyproject.toml
	bash scripts/setup_run.sh $(VENV)
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PY) -m pip install -q -e '.[test]'
	touch $@

translations: $(VENV)/.installed
	$(VENV)/bin/pybabel compile -d onestop/translations

extract: $(VENV)/.installed
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o onestop/translations/messages.pot .
	$(VENV)/bin/pybabel update -N -i onestop/translations/messages.pot -d onestop/translations

run: translations
	$(PY) scripts/run_all.py --prepare

test: translations $(VENV)/.installed-test
	bash scripts/test.sh

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check onestop workers tests

# Not part of CI: mutants of workflow.py, policy.py and deadlines.py against the fast SQLite tests.
mutation: translations
	$(PY) -m pip install -q -e '.[mutation]'
	$(PY) scripts/mutation.py
