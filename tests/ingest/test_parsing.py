"""Parsers of contract §2: examples and hypothesis properties."""

import datetime as dt
from decimal import Decimal

import polars as pl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pipelines.ingest import parsing as P
from pipelines.ingest.transform import _id_precision_expr

DATETIMES = st.datetimes(min_value=dt.datetime(1960, 1, 1), max_value=dt.datetime(2099, 12, 31)).map(
    lambda d: d.replace(microsecond=0)
)
FULLWIDTH = str.maketrans({chr(c - 0xFEE0): chr(c) for c in range(0xFF01, 0xFF5F)})


def forms(d: dt.datetime) -> list[tuple[str, dt.datetime]]:
    """Every §2 spelling of `d` with the value it denotes (minute forms drop seconds)."""
    minute = d.replace(second=0)
    day = d.replace(hour=0, minute=0, second=0)
    serial = (d - P.EXCEL_EPOCH).total_seconds() / 86400
    return [
        (d.strftime("%Y-%m-%d"), day),
        (d.strftime("%Y-%m-%d %H:%M"), minute),
        (d.strftime("%Y-%m-%d %H:%M:%S"), d),
        (d.strftime("%Y-%m-%dT%H:%M:%S"), d),
        (f"{d.year}/{d.month}/{d.day}", day),
        (f"{d.year}/{d.month}/{d.day} {d.hour}:{d.minute:02d}", minute),
        (f"{d.year}/{d.month:02d}/{d.day:02d} {d.hour:02d}:{d.minute:02d}:{d.second:02d}", d),
        (f"{d.year}年{d.month}月{d.day}日", day),
        (f"{d.year}年{d.month}月{d.day}日 {d.hour}时{d.minute}分", minute),
        (f"{d.year}年{d.month}月{d.day}日{d.hour}时{d.minute}分{d.second}秒", d),
        (d.strftime("%Y%m%d"), day),
        (d.strftime("%Y%m%d%H%M%S"), d),
        (f"{serial:.10f}", d),
        (f"{int(serial)}", day),
        (d.strftime("%Y-%m-%d %H:%M:%S").translate(FULLWIDTH), d),
        ("\u3000" + d.strftime("%Y-%m-%d") + "\u00a0", day),
    ]


@settings(max_examples=300)
@given(DATETIMES)
def test_datetime_round_trip_every_form(d):
    for text, expected in forms(d):
        assert P.parse_datetime(text) == expected, text
        assert P.parse_date(text) == expected.date(), text


@given(st.text(max_size=12))
def test_datetime_never_raises(s):
    P.parse_datetime(s)


@pytest.mark.parametrize(
    "text", ["2022-02-30", "2022-13-01", "20221301", "下周一", "2022-06-01 25:00", "99999", "2022", "06/01/2022"]
)
def test_datetime_rejects(text):
    assert P.parse_datetime(text) is None


@settings(max_examples=300)
@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=0, max_value=99))
@example(1, 64)  # 1 + 64/100 is 1.6400000000000001 in binary floats; the amount is 1.64
def test_money_forms(yuan, cents):
    plain = f"{yuan}.{cents:02d}"
    value = float(Decimal(plain))  # the exact decimal amount, as written
    assert P.parse_money(plain) == value
    assert P.parse_money(plain + "元") == value
    assert P.parse_money(f"￥{yuan:,}.{cents:02d}") == value
    assert P.parse_money(f"¥{yuan:,}") == yuan
    assert P.parse_money(str(yuan)) == yuan
    # 万元 scaling: x万元 == x * 10000 yuan
    assert P.parse_money(f"{plain}万元") == float(Decimal(plain) * 10000)
    assert P.parse_money(f"{plain}万") == float(Decimal(plain) * 10000)


@pytest.mark.parametrize(
    "text, value",
    [("0.2万元", 2000.0), ("￥1,200", 1200.0), ("500元", 500.0), ("500.00", 500.0), ("１，２００元", 1200.0), ("-50", -50.0)],
)
def test_money_examples(text, value):
    assert P.parse_money(text) == value


@pytest.mark.parametrize("text", ["五百元", "1,2,3", "12,34", "abc", "500美元", "1.2.3"])
def test_money_rejects(text):
    assert P.parse_money(text) is None


TRUE = ["是", "Y", "y", "1", "true", "TRUE", "True", "√"]
FALSE = ["否", "N", "n", "0", "false", "FALSE", "×"]


@given(st.sampled_from(TRUE + FALSE), st.sampled_from(["", " ", "\u3000", "\u00a0"]))
def test_bool_forms(text, pad):
    assert P.parse_bool(pad + text + pad) is (text in TRUE)


@given(st.text(max_size=5))
def test_bool_accepts_only_its_tokens(s):
    v = P.to_ascii(s).strip(P.TRIM_CHARS).lower()
    assert (P.parse_bool(s) is not None) == (v in P._TRUE | P._FALSE)


@settings(max_examples=300)
@given(st.text(alphabet="0123456789", min_size=1, max_size=30))
def test_id_digits_preserved(digits):
    """Any digit string (leading zeros included) is kept verbatim and not flagged when it arrives as text."""
    assert P.normalise_id(digits) == digits
    assert P.normalise_id("\u3000" + digits.translate(FULLWIDTH) + " ") == digits
    assert P.id_precision_lost(digits) is False


@given(st.integers(min_value=0, max_value=10**22))
def test_id_as_number(n):
    assert P.id_precision_lost(str(n), arrived_as_number=True) is (n > 2**53)
    assert P.id_precision_lost(f"{float(n):.6E}") is True  # scientific notation
    assert P.id_precision_lost(f"{n}.0") is True  # went through a float


@settings(max_examples=200)
@given(
    st.lists(
        st.tuples(st.one_of(st.text(alphabet="0123456789.eE+-X", min_size=1, max_size=22)), st.booleans()),
        min_size=1,
        max_size=20,
    )
)
def test_id_precision_vectorised_matches_python(items):
    df = pl.DataFrame({"v": [v for v, _ in items], "n": [n for _, n in items]})
    got = df.select(_id_precision_expr(pl.col("v"), pl.col("n")).alias("x"))["x"].to_list()
    assert got == [P.id_precision_lost(v, n) for v, n in items]


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_resident_id_checksum(first17):
    good = first17 + P.resident_id_check_char(first17)
    assert P.resident_id_checksum_ok(good)
    assert P.resident_id_checksum_ok(good.lower())
    for wrong in "0123456789X":
        if wrong != good[-1]:
            assert not P.resident_id_checksum_ok(first17 + wrong)


def test_known_resident_id():
    assert P.resident_id_checksum_ok("11010519491231002X")  # the GB 11643 example


def test_clean_text():
    assert P.clean_text("\u3000 值\u00a0") == "值"
    for token in ["", "无", "/", "-", "—", "暂无", "NULL", "null", "NaN", "  无 "]:
        assert P.clean_text(token) is None
    assert P.clean_text("无证经营") == "无证经营"
    assert P.to_ascii("ＡＢＣ１２３－") == "ABC123-"


def test_clean_expr_matches_clean_text():
    values = ["\u3000 值\u00a0", "无", " / ", None, "abc", "\ufeffx"]
    got = pl.DataFrame({"v": values}).select(P.clean_expr(pl.col("v")))["v"].to_list()
    assert got == [P.clean_text(v) for v in values]


def test_int_and_float():
    assert P.parse_int("3") == 3 and P.parse_int("3.0") == 3 and P.parse_int("３") == 3
    assert P.parse_int("3.5") is None and P.parse_int("两处") is None
    assert P.parse_float("120.205") == 120.205 and P.parse_float("east") is None


@settings(max_examples=100)
@given(
    st.lists(
        st.one_of(
            DATETIMES.flatmap(lambda d: st.sampled_from([t for t, _ in forms(d)])),
            st.sampled_from(
                [
                    *("2022-02-30", "2022-06-01 24:00:00", "x", "2022-06-01 08:30:60", "0000-01-01"),
                    *("2022/2/30 8:00", "2022/6/1 24:00", "2022/6/1 8:60", "2022/6/1 8:30:60", "2022/13/1"),
                    *("0000/1/1 8:00", "2022/6/1  8:30", "2022/006/1", "2022/6/1 008:30"),
                    *("2022-06-01 24:00", "2022-06-01 08:60", "2022-06-01 8:30", "20220230", "00000101"),
                    *("20220601083060", "20220601240000", "202206010830", "2022年2月30日 8时5分"),
                    *("2022年6月1日 24时5分", "0000年1月1日", "2022年6月1日 8时60分", "2022年6月1日8时5分"),
                ]
            ),
            st.none(),
        ),
        max_size=15,
    )
)
def test_parse_series_fast_path_equals_python(values):
    s = pl.Series(values, dtype=pl.String)
    for kind, fn, dtype in (("timestamp", P.parse_datetime, pl.Datetime("us")), ("date", P.parse_date, pl.Date)):
        assert P.parse_series(s, kind, fn, dtype).to_list() == [None if v is None else fn(v) for v in values]


NUMBER_TEXT = st.one_of(
    st.integers(-(10**20), 10**20).map(str),
    st.floats(allow_nan=False, allow_infinity=False, width=64).map(repr),
    st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str),
    st.from_regex(r"[+-]?[0-9]{1,20}(\.[0-9]{0,6})?", fullmatch=True),
    st.sampled_from(["1,200", "0.2万元", "￥3", "1e5", ".5", "5.", "两处", "-0", "+7", "00012.50"]),
)


@settings(max_examples=200)
@given(st.lists(st.one_of(NUMBER_TEXT, st.none()), max_size=15))
def test_parse_series_number_fast_path_equals_python(values):
    s = pl.Series(values, dtype=pl.String)
    for kind, fn, dtype in (
        ("int", P.parse_int, pl.Int64),
        ("float", P.parse_float, pl.Float64),
        ("money", P.parse_money, pl.Float64),
    ):
        want = [None if v is None else fn(v) for v in values]
        if kind == "int" and any(w is not None and abs(w) >= 2**63 for w in want):
            continue  # beyond Int64: the lake column cannot hold it either way
        assert P.parse_series(s, kind, fn, dtype).to_list() == want, kind
