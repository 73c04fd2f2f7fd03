"""Jinja2 environment for the page templates (autoescaped; no external assets), one per
language: Jinja's i18n extension with ``_()`` bound to the catalog of that language
(`dashboards/i18n`)."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import jinja2

from . import i18n, metrics

TEMPLATES = Path(__file__).parent / "templates"


def _long_date(d, lang: str) -> str:
    if lang == "en":
        return f"{d.day} {d:%B} {d.year}"
    return f"{d.year}年{d.month}月{d.day}日"


def environment(lang: str = i18n.DEFAULT) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        lambda s: i18n.gettext(s, lang), lambda s, p, n: i18n.gettext(s if n == 1 else p, lang), newstyle=True
    )
    env.globals["lang"] = lang
    env.globals["html_lang"] = i18n.HTML_LANG[lang]
    env.filters["num"] = metrics.fmt_num
    env.filters["signed"] = metrics.fmt_signed
    env.filters["pct_change"] = metrics.fmt_pct_change
    env.filters["zh"] = partial(i18n.raw, lang=lang)  # a value from the exports, marked on English pages
    env.filters["zh_runs"] = partial(i18n.raw_runs, lang=lang)
    env.filters["long_date"] = partial(_long_date, lang=lang)
    return env
