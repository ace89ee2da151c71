# The two commands a newcomer needs: `make run` and `make test`.
# Both build .venv from pyproject.toml first (only again when pyproject.toml changes).
PY ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: run test lint demo clean messages

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/pulse run

demo: $(STAMP)
	$(VENV)/bin/pulse demo

test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest -q -n 2 --dist loadscope

# After adding or changing a text wrapped in tr() / ngettext() / N_(): refresh every catalog
# (new messages come in untranslated; tests/settings/test_i18n.py lists what to translate).
POT := $(VENV)/pulse.pot
messages: $(STAMP)
	$(VENV)/bin/pybabel extract -k tr --no-location --sort-output --omit-header -o $(POT) \
		bot jobs settings cli cx figures
	$(VENV)/bin/pybabel update -i $(POT) -d settings/locales -D pulse --width 100 \
		--no-fuzzy-matching --ignore-obsolete

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
