"""Sphinx extension: a link on every page to the same page in the other
edition (English <-> 한국어), and ``hreflang`` alternates for search engines.

The English book is built at the site's root and the Korean one under
``ko/``; each ``_config.yml`` names the other edition::

    other_language: {label: "한국어", prefix: "ko", lang: "ko"}   # English
    other_language: {label: "English", prefix: "..", lang: "en"}  # Korean
"""

from __future__ import annotations

from html import escape


def check_setting(app, config) -> None:
    other = config.other_language
    if other and not {"label", "prefix", "lang"} <= set(other):
        raise ValueError(
            f"other_language in _config.yml is {other!r}: give label (the "
            "link's text), prefix (where the other edition's root is, "
            "relative to this one's) and lang (its language code)"
        )


def add_switch(app, pagename, templatename, context, doctree) -> None:
    other = app.config.other_language
    if app.builder.name != "html" or not other or "body" not in context:
        return
    url = context["pathto"](f"{other['prefix']}/{pagename}.html", 1)
    lang = escape(other["lang"])
    link = (
        f'<p class="language-switch"><a href="{escape(url)}" '
        f'hreflang="{lang}" lang="{lang}">{escape(other["label"])}</a></p>\n'
    )
    context["body"] = link + context["body"]
    context["metatags"] = context.get("metatags", "") + (
        f'\n<link rel="alternate" hreflang="{lang}" href="{escape(url)}" />'
    )


def setup(app):
    app.add_config_value("other_language", {}, "html", types=[dict])
    app.connect("config-inited", check_setting)
    app.connect("html-page-context", add_switch)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
