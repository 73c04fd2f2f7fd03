"""The English twin of the site (issue 10, item 7): every page again under en/, from the same
view models, only the words differ (dashboards/i18n).

- the catalog (dashboards/i18n/en.yml) has an entry for every msgid the templates, the page
  code and the site scripts use, and no entry that nothing uses;
- on the synthetic site, the visible text of every en/ page has no Chinese outside elements
  marked ``lang="zh"`` (values from the exports, such as 警情细类);
- the key figures of each English page equal those of the Chinese page.
The browser side (375 px and desktop, no outside request, no console error, no horizontal
scroll) is in test_browser.py.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from dashboards import i18n
from dashboards.site import PAGES
from pipelines.contract import load_contract

FILES = [p.FILE for p in PAGES]
HAN = i18n.HAN
PCT = re.compile(r"%\((\w+)\)s")
BRACE = re.compile(r"(?<!\{)\{(\w+)\}(?!\})")
# Attributes a reader sees: tooltips, screen-reader names, and the column labels that the
# stacked phone tables print (site.css: content: attr(data-label)).
SHOWN_ATTRS = ("title", "aria-label", "data-label", "alt")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


def _placeholders(s: str) -> set[str]:
    return set(PCT.findall(s)) | set(BRACE.findall(s))


def test_every_msgid_has_an_english_entry_and_every_entry_is_used():
    used = i18n.used_msgids()
    catalog = i18n.catalog("en")
    missing = {m: where for m, where in used.items() if m not in catalog}
    unused = sorted(set(catalog) - set(used))
    assert not missing, f"msgids without English in dashboards/i18n/en.yml: {missing}"
    assert not unused, f"entries of dashboards/i18n/en.yml that nothing uses: {unused}"


def test_english_entries_keep_their_placeholders_and_have_no_chinese():
    for msgid, english in i18n.catalog("en").items():
        assert isinstance(english, str) and english.strip(), msgid
        assert not HAN.search(english), (msgid, english)
        want, got = _placeholders(msgid), _placeholders(english)
        if "month" in want and "mon" in got:  # a date: the English month name instead of its number
            want, got = want - {"month"}, got - {"mon"}
        assert got == want, (msgid, english)


def test_the_contract_names_its_facts_in_english():
    c = load_contract()
    for ind in c.indicators:
        assert ind.en and ind.unit_en and not HAN.search(ind.en + ind.unit_en), ind.name
    for name, src in c.sources.items():
        assert src.en and not HAN.search(src.en), name
    for colour in (*c.five_colour.colours, c.five_colour.grey):
        assert colour.en and not HAN.search(colour.en), colour.color
    for rule in c.load_rules:
        assert rule.name_en and rule.text_en and not HAN.search(rule.name_en + rule.text_en), rule.name
    assert len(c.five_colour.edge_cases_en) == len(c.five_colour.edge_cases)
    assert all(not HAN.search(n) for n in c.township_names_en.values())


def test_translation_helpers():
    assert i18n.t("近28天", lang="zh") == "近28天"
    assert i18n.t("近28天", lang="en") == "Last 28 days"
    assert i18n.t("{n} 天", lang="en", n=3) == "3 days"
    with i18n.use("en"):
        assert i18n.t("小基数") == "small base"
        assert str(i18n.raw("盗窃")) == '<span lang="zh">盗窃</span>'
        assert i18n.raw("M002") == "M002"
        assert str(i18n.raw_runs("distinct 事件编号, excluding")) == 'distinct <span lang="zh">事件编号</span>, excluding'
    assert i18n.raw("盗窃") == "盗窃"  # Chinese pages: unchanged


# ---------------------------------------------------------------- the built pages


class _Text(HTMLParser):
    """Visible text and shown attributes of a page, outside <script>/<style> and outside any
    element marked lang="zh…"."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []
        self.chinese: list[str] = []

    def _hidden(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        skip = (a.get("lang") or "").startswith("zh") or tag in ("script", "style") or self._hidden()
        if not skip:
            self.chinese += [f"{tag}[{k}]={v}" for k, v in a.items() if k in SHOWN_ATTRS and v and HAN.search(v)]
        if tag not in VOID:
            self.stack.append((tag, skip))

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        while self.stack and self.stack.pop()[0] != tag:
            pass

    def handle_data(self, data):
        if not self._hidden() and HAN.search(data):
            self.chinese.append(data.strip()[:80])


def chinese_outside_lang_zh(html: str) -> list[str]:
    p = _Text()
    p.feed(html)
    return p.chinese


@pytest.mark.parametrize("page", FILES)
def test_english_page_has_no_chinese_outside_lang_zh(synthetic_site: Path, page: str):
    html = (synthetic_site / "en" / page).read_text(encoding="utf-8")
    assert '<html lang="en">' in html
    found = chinese_outside_lang_zh(html)
    assert not found, f"en/{page}: untranslated text {found[:10]}"


def test_the_check_finds_chinese():
    assert chinese_outside_lang_zh('<p>one <span lang="zh">盗窃</span></p>') == []
    assert chinese_outside_lang_zh("<p>one 盗窃</p>") == ["one 盗窃"]
    assert chinese_outside_lang_zh('<td data-label="去年同期">1</td>') == ["td[data-label]=去年同期"]


def test_english_pages_share_the_assets_and_data(synthetic_site: Path):
    en = synthetic_site / "en"
    assert sorted(p.name for p in en.iterdir()) == sorted(FILES), "only the pages: one copy of assets/ and data/"
    for page in FILES:
        html = (en / page).read_text(encoding="utf-8")
        refs = re.findall(r'(?:src|href)="([^"#:]+)"', html)
        for ref in refs:
            if ref.startswith(("assets/", "data/")):
                pytest.fail(f"en/{page} refers to {ref} (not ../{ref})")
            assert (en / ref).resolve().is_file(), f"en/{page}: {ref} does not resolve"
        assert 'href="../' + page + '"' in html, "the link back to the Chinese page"
        zh = (synthetic_site / page).read_text(encoding="utf-8")
        assert 'href="en/' + page + '"' in zh and '<html lang="zh-CN">' in zh


# The figures a page shows: numbers in the elements that carry them, and every array a chart draws.
FIGURE_ELEMENTS = re.compile(
    r'<(?:td|div|strong|span)\b[^>]*(?:data-figure="[^"]*"|class="(?:kpi-value|n|v)(?: [^"]*)?")[^>]*>(.*?)</', re.S
)
NUMBER = re.compile(r"[−+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?%?|[−+-]?\d+(?:\.\d+)?%?")
CHART_ARRAYS = re.compile(r'"(?:x|y|bdata|x0|dx)":(\[[^\]]*\]|"[^"]*"|[\d.]+)')


def _figures(html: str) -> tuple[list[list[str]], list[str]]:
    cells = [sorted(NUMBER.findall(m)) for m in FIGURE_ELEMENTS.findall(html)]  # word order may differ
    arrays = [a for a in CHART_ARRAYS.findall(html) if not HAN.search(a)]
    return cells, arrays


@pytest.mark.parametrize("page", FILES)
def test_english_page_shows_the_same_figures(synthetic_site: Path, page: str):
    zh_cells, zh_arrays = _figures((synthetic_site / page).read_text(encoding="utf-8"))
    en_cells, en_arrays = _figures((synthetic_site / "en" / page).read_text(encoding="utf-8"))
    assert en_cells == zh_cells
    assert en_arrays == zh_arrays
    # (the map's figures are one shared file, data/grid_polygons.js; the glossary has none)
    assert zh_cells or zh_arrays or page in ("glossary.html", "grid.html"), "the check saw no figure"


def test_english_charts_use_plotlys_english_locale(synthetic_site: Path):
    zh = (synthetic_site / "index.html").read_text(encoding="utf-8")
    en = (synthetic_site / "en" / "index.html").read_text(encoding="utf-8")
    assert '"locale": "zh-CN"' in zh
    assert '"locale"' not in en
