"""The English twin of the site (issue 10, item 7): gettext-style, the Chinese text is the
message id and ``en.yml`` beside this file maps each msgid to its English.

    from dashboards import i18n
    with i18n.use("en"):                      # build_site does this around each language
        i18n.t("近28天")                      # 'last 28 days'
        i18n.t("{n} 个网格", n=3)             # str.format placeholders in Python msgids
    i18n.t("近28天", lang="zh")               # the msgid itself: Chinese is the default

Where the strings are:
- templates: ``{{ _("…") }}`` and ``{% trans x=… %}…{{ x }}…{% endtrans %}`` (Jinja's
  ``jinja2.ext.i18n``, new style: ``%(x)s`` placeholders, a literal ``%`` is ``%%``);
- page code: ``ctx.t("…")`` (``SiteContext.t``) and, where there is no ctx (charts, reports,
  metrics), ``i18n.t("…")`` in the language being built; module constants are marked
  ``N_("…")`` and translated where they are shown;
- ``assets/grid_map.js``: ``T("…")`` (the grid page passes those msgids' English in its labels);
- facts of the contract (indicator, source, colour and load-rule names, township names)
  have their English in ``pipelines/contract.yaml`` (``en`` fields), read by ``label()``.

Values that come from the exports (警情细类, 专项行动, matter and grid names …) stay Chinese
on the English pages, marked ``<span lang="zh">`` by ``raw()`` / the ``zh`` filter.
tests/dashboards/test_english.py checks that every msgid has an English entry and every
entry is used.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from markupsafe import Markup, escape

HERE = Path(__file__).parent
LANGS = ("zh", "en")  # the first is the default, written at the site's root; others under <lang>/
DEFAULT = LANGS[0]
HTML_LANG = {"zh": "zh-CN", "en": "en"}
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# A run of Chinese text inside an English sentence (a column name such as 事件编号):
# Han characters and the full-width punctuation between them.
HAN_RUN = re.compile(
    r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff][\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]*"
)
JS_MSGID = re.compile(r'\bT\("((?:[^"\\]|\\.)*)"\)')

_current: ContextVar[str] = ContextVar("dashboards_lang", default=DEFAULT)


@cache
def catalog(lang: str) -> dict[str, str]:
    """msgid → translation for ``lang`` ({} for the default language)."""
    if lang == DEFAULT:
        return {}
    return yaml.safe_load((HERE / f"{lang}.yml").read_text(encoding="utf-8")) or {}


def current() -> str:
    return _current.get()


@contextlib.contextmanager
def use(lang: str) -> Iterator[None]:
    """Build in ``lang``: what ``t()``, ``label()`` and ``raw()`` without a ``lang`` read."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r} (one of {', '.join(LANGS)})")
    token = _current.set(lang)
    try:
        yield
    finally:
        _current.reset(token)


def gettext(msgid: str, lang: str | None = None) -> str:
    """The translation of ``msgid``, or the msgid itself (Chinese, or a missing entry)."""
    lang = lang or _current.get()
    if lang == DEFAULT:
        return msgid
    return catalog(lang).get(msgid, msgid)


def t(msgid: str, /, lang: str | None = None, **kw: Any) -> str:
    """Translate and fill ``{name}`` placeholders (``str.format``)."""
    s = gettext(msgid, lang)
    return s.format(**kw) if kw else s


def N_(msgid: str) -> str:  # noqa: N802 — the gettext convention for "translated later"
    """Marks a module constant as a msgid; it is translated where it is shown."""
    return msgid


def label(obj: Any, lang: str | None = None) -> str:
    """A contract object's name in the page's language: its ``en`` field on English pages."""
    lang = lang or _current.get()
    if lang == "en" and getattr(obj, "en", ""):
        return obj.en
    return obj.zh


def raw(value: Any, lang: str | None = None) -> Any:
    """A value from the exports (Chinese) as an English page shows it: marked
    ``<span lang="zh">``. Unchanged on Chinese pages and when it has no Chinese."""
    lang = lang or _current.get()
    if lang == DEFAULT or value is None or not HAN.search(str(value)):
        return value
    return Markup('<span lang="zh">{}</span>').format(value)


def raw_runs(value: Any, lang: str | None = None) -> Any:
    """English text with Chinese terms in it (a definition naming 事件编号): each run of
    Chinese marked ``<span lang="zh">`` on English pages."""
    lang = lang or _current.get()
    if lang == DEFAULT or value is None or not HAN.search(str(value)):
        return value
    text = str(value)
    out, pos = [], 0
    for m in HAN_RUN.finditer(text):
        out.append(escape(text[pos : m.start()]))
        out.append(Markup('<span lang="zh">{}</span>').format(m.group()))
        pos = m.end()
    out.append(escape(text[pos:]))
    return Markup("").join(out)


def place(name: str, names_en: dict[str, str], lang: str | None = None) -> str:
    """A township's name: romanised on English pages (contract ``township_names_en``)."""
    lang = lang or _current.get()
    if lang == DEFAULT:
        return name
    return names_en.get(name, name)


def js_msgids(path: Path) -> list[str]:
    """The ``T("…")`` msgids of a site script, in order of first use."""
    out: list[str] = []
    for m in JS_MSGID.finditer(Path(path).read_text(encoding="utf-8")):
        s = re.sub(r"\\(.)", r"\1", m.group(1))  # \" and \\ in a JS string
        if s not in out:
            out.append(s)
    return out


def used_msgids() -> dict[str, str]:
    """Every msgid the site uses → where it is first used ("file:line"): ``_()`` and
    ``{% trans %}`` in the templates, ``N_()`` / ``t()`` / ``ctx.t()`` with a literal in the
    Python code of dashboards/, ``T("…")`` in the site scripts. (How tests/dashboards/
    test_english.py checks the catalog; also the list to translate from.)"""
    import ast

    from ..render import TEMPLATES, environment

    root = HERE.parent
    found: dict[str, str] = {}
    env = environment()
    for path in sorted(TEMPLATES.glob("*.j2")):
        for lineno, _func, message in env.extract_translations(path.read_text(encoding="utf-8")):
            for m in message if isinstance(message, tuple) else (message,):
                if isinstance(m, str):
                    found.setdefault(m, f"{path.relative_to(root.parent)}:{lineno}")
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            f = node.func
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None
            first = node.args[0]
            if name in ("N_", "t", "gettext") and isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.setdefault(first.value, f"{path.relative_to(root.parent)}:{node.lineno}")
    for path in sorted((root / "static").glob("*.js")):
        for m in js_msgids(path):
            found.setdefault(m, str(path.relative_to(root.parent)))
    return found
