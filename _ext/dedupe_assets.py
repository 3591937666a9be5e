"""Sphinx extension: drop duplicate inline <script> blocks from every page.

sphinx-thebe and sphinx-togglebutton register their inline configuration
scripts each time Sphinx reads the sources; Jupyter Book reads them twice, so
pages carried two ``const THEBE_JS_URL = ...`` declarations and the browser
reported a SyntaxError.
"""

from __future__ import annotations


def dedupe_scripts(app, pagename, templatename, context, doctree) -> None:
    seen = set()
    unique = []
    for script in context.get("script_files", []):
        attributes = getattr(script, "attributes", {})
        key = (
            getattr(script, "filename", str(script)) or "",
            tuple(sorted(attributes.items())),
        )
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def setup(app):
    app.connect("html-page-context", dedupe_scripts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
