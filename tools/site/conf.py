"""Sphinx's configuration for the course's site. Run it through ``python -m tools.site``,
which stages the notebooks and Mermaid's files and passes ``html_static_path``."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

from tools.site import BRANCH, MERMAID_MODULE, REPOSITORY  # noqa: E402

project = "Streams Lab"
author = "Streams Lab"
copyright = "Streams Lab's authors"
language = "en"

extensions = ["myst_nb", "sphinxcontrib.mermaid"]
exclude_patterns = ["_build", "**.ipynb_checkpoints"]

# The notebooks' saved outputs, never re-executed.
nb_execution_mode = "off"
# ipywidgets' embed scripts come from CDNs (unpkg, cdnjs): none. A widget's place is a box.
nb_ipywidgets_js: dict[str, dict[str, str]] = {}
# ```mermaid fences are diagrams; headings get anchors that links can point to.
myst_fence_as_directive = ["mermaid"]
myst_heading_anchors = 4

# Mermaid's ES-module build, copied into _static/mermaid/ (with its chunks) by tools.site.
mermaid_use_local = f"mermaid/{MERMAID_MODULE}"
mermaid_include_elk = False
mermaid_include_zenuml = False
mermaid_d3_zoom = False
mermaid_fullscreen_button = "⤢"  # its default, ⛶, is missing from most fonts

# MathJax would come from a CDN, on pages with formulas only: the course has none, and
# tools.site refuses a page that asks for anything outside the site.

html_theme = "sphinx_book_theme"
html_title = "Streams Lab"
html_static_path = ["_static"]  # tools.site adds Mermaid's folder
html_css_files = ["streams-lab.css"]
html_copy_source = True  # the download button gives the .ipynb
html_last_updated_fmt = None
html_context = {"default_mode": "light"}  # without it the theme logs an error on first load
html_theme_options = {
    "repository_url": f"https://github.com/{REPOSITORY}",
    "repository_branch": BRANCH,
    "path_to_docs": "notebooks",
    "use_repository_button": True,
    "use_download_button": True,
    "home_page_in_toc": True,
    "show_toc_level": 2,
    "launch_buttons": {"binderhub_url": "https://mybinder.org", "notebook_interface": "jupyterlab"},
}
