# The two commands of the README:
#   make book   set everything up and build the site into _build/html
#   make test   set everything up and run every check (unit tests, strict nbval, -W build,
#               browser check of every page)
PY := .venv/bin/python
export PYTHONHASHSEED := 0
# the CPU and no progress bars for every pytest run: conftest.py applies
# utils.config.for_stored_outputs(), as scripts/notebook_tools.py does

.PHONY: setup book site test unit nbval browser execute clean mutation

setup:
	bash scripts/setup.sh

site:
	rm -rf _build/html _build/.doctrees _build/jupyter_execute
	.venv/bin/jupyter-book build . -W -n --keep-going
	test -f _build/html/index.html  # a wrong jupyter-book version can exit 0 and build nothing

book: setup site

unit:
	$(PY) -m pytest tests utils playground --doctest-modules -p no:cacheprovider

nbval:
	$(PY) -m pytest --nbval chapters --nbval-sanitize-with tests/sanitize.cfg --nbval-current-env -p no:cacheprovider \
		--junitxml=_build/nbval-junit.xml
	$(PY) bench/course_time.py --from-junit _build/nbval-junit.xml

browser:
	$(PY) scripts/check_site.py _build/html

test: setup unit nbval site browser

# Re-execute chapters in place (all, or NB=chapters/02_convolution.ipynb) before committing.
execute: setup
	$(PY) scripts/notebook_tools.py run $(NB)

# Mutation testing of utils (slow, not part of `make test`): the score is killed / all mutants.
mutation: setup
	rm -rf mutants
	.venv/bin/mutmut run --max-children 2 || true
	.venv/bin/mutmut results --all true | .venv/bin/python scripts/mutation_score.py

clean:
	rm -rf _build
