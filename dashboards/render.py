"""Jinja2 environment for the page templates (autoescaped; no external assets)."""

from __future__ import annotations

from pathlib import Path

import jinja2

from . import metrics

TEMPLATES = Path(__file__).parent / "templates"


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["num"] = metrics.fmt_num
    env.filters["signed"] = metrics.fmt_signed
    env.filters["pct_change"] = metrics.fmt_pct_change
    return env
