"""Sphinx extension for the whole-book downloads (issue #28).

1. The site's download menu (the theme's download button) gets one link per
   entry of the ``book_downloads`` setting (``_config.yml``,
   ``sphinx.config``), each a file at the root of the built site, e.g. the
   PDF of the whole book that ``make pdf`` writes::

       book_downloads:
         - {path: cnn-course.pdf, text: "Book (.pdf)",
            tooltip: "The whole book as one PDF"}

2. The ``singlehtml`` build that ``make pdf`` prints works: sphinx-exercise
   registers translation handlers for the ``singlehtml`` builder, and Sphinx
   then looks up *only* those for that builder, so nodes that other
   extensions register for ``html`` (MyST-NB's hidden-cell toggle) fail with
   "unknown node type". The html handlers are copied over where missing.
"""

from __future__ import annotations


def copy_html_handlers(app) -> None:
    """Give the singlehtml builder every html visitor it lacks."""
    if app.builder.name != "singlehtml":
        return
    handlers = app.registry.translation_handlers
    single = handlers.get("singlehtml")
    if single is None:  # Sphinx falls back to the html handlers by itself
        return
    for node_name, pair in handlers.get("html", {}).items():
        single.setdefault(node_name, pair)


def check_downloads(app, config) -> None:
    """Every ``book_downloads`` entry names a file and the item's text."""
    for entry in config.book_downloads:
        missing = {"path", "text"} - set(
            entry if isinstance(entry, dict) else {}
        )
        if missing:
            raise ValueError(
                f"book_downloads in _config.yml: the entry {entry!r} lacks "
                f"{sorted(missing)}; give each entry a path (a file at the "
                "root of the built site) and the text of its menu item"
            )


def add_download_links(app, pagename, templatename, context, doctree) -> None:
    """Append the ``book_downloads`` links to the theme's download menu."""
    if app.builder.name != "html" or not app.config.book_downloads:
        return
    group = next(
        (
            button
            for button in context.get("header_buttons", [])
            if button.get("label") == "download-buttons"
        ),
        None,
    )
    if group is None:  # the page has no download menu
        return
    for entry in app.config.book_downloads:
        group["buttons"].append(
            {
                "type": "link",
                "url": context["pathto"](entry["path"], 1),
                "text": entry["text"],
                "tooltip": entry.get("tooltip", entry["text"]),
                "icon": entry.get("icon", "fas fa-book"),
                "label": "download-"
                + entry["path"].replace(".", "-").replace("/", "-"),
            }
        )


def setup(app):
    app.add_config_value("book_downloads", [], "html", types=[list])
    app.connect("config-inited", check_downloads)
    app.connect("builder-inited", copy_html_handlers)
    # after the theme's own buttons (priority 501)
    app.connect("html-page-context", add_download_links, priority=502)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
