# The two commands of the README:
#   make book   set everything up and build the site into _build/html (with the book's PDF)
#   make test   set everything up and run every check (unit tests, strict nbval, -W build,
#               browser check of every page)
PY := .venv/bin/python
export PYTHONHASHSEED := 0
# the CPU and no progress bars for every pytest run: conftest.py applies
# utils.config.for_stored_outputs(), as scripts/notebook_tools.py does

.PHONY: setup book site test unit nbval browser execute clean mutation student student-test pdf compat

setup:
	bash scripts/setup.sh

site:
	rm -rf _build/html _build/.doctrees _build/jupyter_execute _build/ko
	.venv/bin/jupyter-book build . -W -n --keep-going
	test -f _build/html/index.html  # a wrong jupyter-book version can exit 0 and build nothing
	# the Korean edition (ko/: notebooks written by `notebook_tools.py translate`) under ko/
	.venv/bin/jupyter-book build ko -W -n --keep-going --path-output _build/ko
	test -f _build/ko/_build/html/index.html
	cp -r _build/ko/_build/html _build/html/ko
	$(PY) scripts/student.py  # the student notebooks and their zip, published with the site

book: setup site pdf

# The whole book as one PDF, _build/pdf/cnn-course.pdf (copied into the built site, which links
# it): the one-page build printed by Chromium after MathJax, then read back and checked. The
# same for the Korean edition (--book ko): _build/pdf/cnn-course-ko.pdf, into the Korean site.
pdf: setup
	rm -rf _build/pdf-site _build/pdf-site-ko
	.venv/bin/jupyter-book build . --builder singlehtml --path-output _build/pdf-site -W -n --keep-going
	$(PY) scripts/build_pdf.py _build/pdf-site/_build/singlehtml _build/pdf/cnn-course.pdf \
		$(if $(wildcard _build/html/index.html),--copy-to _build/html)
	$(PY) scripts/check_pdf.py _build/pdf/cnn-course.pdf
	.venv/bin/jupyter-book build ko --builder singlehtml --path-output _build/pdf-site-ko -W -n --keep-going
	$(PY) scripts/build_pdf.py --book ko _build/pdf-site-ko/_build/singlehtml _build/pdf/cnn-course-ko.pdf \
		$(if $(wildcard _build/html/ko/index.html),--copy-to _build/html/ko)
	$(PY) scripts/check_pdf.py --book ko _build/pdf/cnn-course-ko.pdf

unit:
	$(PY) -m pytest tests utils playground --doctest-modules -p no:cacheprovider

nbval:
	$(PY) -m pytest --nbval chapters --nbval-sanitize-with tests/sanitize.cfg --nbval-current-env -p no:cacheprovider \
		--junitxml=_build/nbval-junit.xml
	$(PY) bench/course_time.py --from-junit _build/nbval-junit.xml

browser:
	$(PY) scripts/check_site.py _build/html

test: setup unit nbval student-test site pdf browser

# The chapters without the exercises' solutions, into the built site (make site runs it too).
student:
	$(PY) scripts/student.py

# Execute every student notebook top to bottom, away from the repository (about as long as nbval).
student-test:
	RUN_STUDENT_NOTEBOOKS=1 $(PY) -m pytest tests/test_student.py -k executes -p no:cacheprovider --durations=0

# Every chapter on the older torch/torchvision pair of scripts/compat.py (in .venv-compat), with
# AVX2 kernels and one thread as on a student's laptop: every cell runs and every assert holds
# (not compared digit for digit); nothing is written into the repository. Two chapters at a time
# (COMPAT_JOBS=1: one). .ci/run runs it after make test.
compat: setup
	$(PY) scripts/compat.py

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
