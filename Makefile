# make book: set up .venv and build the website (every notebook executed)   make serve: serve it on 127.0.0.1
# make test: set up and run every test                                       make bench: run the benchmarks
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# ipywidgets 7.7.1, as Colab ships it, in a folder that shadows ipywidgets 8 for the widget tests
WIDGETS7 := $(VENV)/ipywidgets7
PORT ?= 8000

.PHONY: book site fonts serve test lint unit notebooks site-test browser bench clean

book: site
	@echo "The book is built: open _build/html/index.html, or run 'make serve' and visit http://127.0.0.1:$(PORT)"

$(INSTALLED): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "llmviz needs Python >= 3.10")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -r requirements.txt
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation -e .
	touch $@

$(WIDGETS7)/.installed: $(INSTALLED)
	$(BIN)/python -m pip install -q --no-deps --target $(WIDGETS7) \
		ipywidgets==7.7.1 widgetsnbextension==3.6.1 jupyterlab_widgets==1.1.1 ipython_genutils==0.2.0
	touch $@

# Built-site assets made from installed packages by book/site_assets.py: plotly.js gzip-compressed, which
# _static/llmviz-figures.js loads on pages with figures only, and MathJax's components and fonts. They go in
# _site_assets/ (copied to the site's root), not _static/, whose every .js jupyter-book adds to every page.
_site_assets/plotly/plotly.min.js.gz: $(INSTALLED) book/site_assets.py
	$(BIN)/python book/site_assets.py plotly $(@D)

_site_assets/mathjax/startup.js: $(INSTALLED) book/site_assets.py _config.yml
	$(BIN)/python book/site_assets.py mathjax $(@D)

# The book's execution cache keys on each notebook's code only, so a change to llmviz must clear it.
_build/.llmviz-sources: $(shell find llmviz -name '*.py')
	rm -rf _build/.jupyter_cache _build/.doctrees
	mkdir -p _build && touch $@

# Sphinx neither overwrites a static file it copied before nor copies anything when no page
# changed, so our static files are copied over after each build; then the theme's Font Awesome (a
# 1.5 MB script, its CSS rules, its fonts) is cut to the icons the pages use. (plotly.min.js once lived in _static/.)
# The Chinese edition (book/editions.py) builds next, into _build/html/zh/, from the same sources and the English
# build's execution cache (no notebook runs twice), and links every page to its counterpart.
site: $(INSTALLED) _site_assets/plotly/plotly.min.js.gz _site_assets/mathjax/startup.js _build/.llmviz-sources
	rm -f _static/plotly.min.js _build/html/_static/plotly.min.js
	LLMVIZ_BOOK=1 $(BIN)/jupyter-book build -W -n --keep-going .
	cp _static/* _build/html/_static/
	$(BIN)/python book/editions.py -W -n --keep-going
	$(BIN)/python book/site_assets.py fontawesome _build/html
	$(BIN)/python book/site_assets.py fontawesome _build/html/zh
	$(MAKE) --no-print-directory fonts

# The CJK and emoji fonts the pages use, cut from Debian's packages (fetched and unpacked into _build/fonts-src, not
# installed, so that no system font hides a missing glyph from the site test) by book/fonts.py into _static/fonts/.
FONT_PACKAGES := fonts-wqy-microhei fonts-noto-color-emoji
FONTS_SRC := _build/fonts-src
$(FONTS_SRC)/.unpacked:
	rm -rf $(FONTS_SRC) && mkdir -p $(FONTS_SRC)/debs
	cd $(FONTS_SRC)/debs && { apt-get download $(FONT_PACKAGES) 2>/dev/null || { \
		sudo=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); $$sudo apt-get update -qq && apt-get download $(FONT_PACKAGES); }; }
	for deb in $(FONTS_SRC)/debs/*.deb; do dpkg-deb -x $$deb $(FONTS_SRC); done
	touch $@

fonts: $(INSTALLED) $(FONTS_SRC)/.unpacked
	$(BIN)/python book/fonts.py $(FONTS_SRC) _build/html
	test ! -d _build/html/zh || $(BIN)/python book/fonts.py $(FONTS_SRC) _build/html/zh

serve:
	@test -f _build/html/index.html || { echo "No site yet: run 'make book' first"; exit 1; }
	$(BIN)/python -m http.server $(PORT) --bind 127.0.0.1 --directory _build/html

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check llmviz tests benchmarks $(wildcard book/*.py book/_ext/*.py)

unit: $(INSTALLED) $(WIDGETS7)/.installed
	$(BIN)/pytest -m "not site" --doctest-modules llmviz tests

notebooks: $(INSTALLED)
	$(BIN)/pytest -p tests.conftest --nbval-lax --nbval-current-env --nbval-cell-timeout=300 notebooks/ \
		--ignore=notebooks/zh  # the Chinese copies: the same code cells (tests/test_i18n.py checks them)

# The site tests drive Debian's chromium through playwright (never `playwright install`,
# which downloads a browser): installed here when it is missing, so `make test` needs nothing else.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		sudo=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
		echo "Installing Debian's chromium for the site tests"; \
		$$sudo apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq chromium >/dev/null; }

site-test: site browser
	$(BIN)/pytest -m site tests/test_site.py tests/test_site_pages.py tests/test_site_fonts.py

test: lint unit notebooks site-test

# Each benchmark judges its goals (benchmarks/goals.py) into one summary file; the last line counts them.
bench: $(INSTALLED)
	@summary=$$(mktemp) && trap 'rm -f "$$summary"' EXIT && \
	for script in benchmarks/bench_*.py; do echo "== $$script"; \
		LLMVIZ_BENCH_SUMMARY="$$summary" $(BIN)/python $$script || exit 1; done && \
	$(BIN)/python benchmarks/summary.py "$$summary"

clean:
	rm -rf _build _site_assets
