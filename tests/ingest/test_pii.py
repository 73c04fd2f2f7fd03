"""No raw personal value of the inbox reaches the lake (contract §5)."""

import re
import stat

import polars as pl

from pipelines import pii
from tests.pii_values import inbox_personal_values


def test_fixture_inbox_has_personal_values(ingested):
    inbox, *_ = ingested
    values = inbox_personal_values(inbox)
    # names, mobile, landline, resident IDs (18 and 15 digits), full-width phone, extra-column name
    for v in [
        "张三丰",
        "黄药师",
        "洪七公",
        "孙大圣",
        "13812345678",
        "0571-82345678",
        "330109850512123",
        "郭靖",
        "王执法",
        "吴用",
    ]:
        assert v in values, v
    assert any(len(v) == 18 and v[:6] == "330109" for v in values)


def test_no_personal_value_in_lake(ingested):
    inbox, lake, _, _ = ingested
    values = inbox_personal_values(inbox)
    assert len(values) > 20
    texts = []
    for p in sorted(lake.rglob("*.parquet")):
        raw = p.read_bytes()
        df = pl.read_parquet(p)
        # decompressed: every column as text
        text = "\n".join(str(v) for col in df.columns for v in df[col].cast(pl.String).to_list())
        texts.append((p, raw, text))
    for v in values:
        for variant in {v, pii.normalise("phone", v) if any(c.isdigit() for c in v) else v}:
            if len(variant) < 2:
                continue
            for p, raw, text in texts:
                assert variant.encode() not in raw, (variant, p)
                assert variant not in text, (variant, p)


def test_secret_created_private_and_stable(tmp_path):
    key = pii.load_or_create_secret(tmp_path)
    assert len(key) == 32
    d = tmp_path / ".secret"
    assert stat.S_IMODE(d.stat().st_mode) == 0o700
    assert stat.S_IMODE((d / "pseudonym.key").stat().st_mode) == 0o600
    assert pii.load_or_create_secret(tmp_path) == key
    assert pii.load_or_create_secret(tmp_path / "other") != key


def test_pseudonyms_normalised_and_kind_separated():
    s = b"k" * 32
    assert pii.pseudonym(s, "id_number", "33010919900101123x") == pii.pseudonym(s, "id_number", " 33010919900101123X ")
    assert pii.pseudonym(s, "phone", "138 1234 5678") == pii.pseudonym(s, "phone", "13812345678")
    assert pii.pseudonym(s, "phone", "+86 13812345678") == pii.pseudonym(s, "phone", "13812345678")
    assert pii.pseudonym(s, "phone", "１３８１２３４５６７８") == pii.pseudonym(s, "phone", "13812345678")
    assert pii.pseudonym(s, "phone", "13812345678") != pii.pseudonym(s, "id_number", "13812345678")
    assert re.fullmatch(r"p_[0-9a-f]{16}", pii.pseudonym(s, "name", "张三"))
    assert pii.pseudonym(s, "name", None) is None


def test_scrub_python_and_vectorised_agree():
    texts = [
        "身份证330109199001011237，手机13812345678",
        "座机0571-82345678/(0571)82345678",
        "订单号1234567890123456789",
        "电话１３８１２３４５６７８",
        "两个号13812345678,13912345678",
        None,
    ]
    vec = pl.DataFrame({"t": texts}).select(pii.scrub_expr(pl.col("t")))["t"].to_list()
    assert vec == [pii.scrub(t) for t in texts]
    assert vec[2] == "订单号1234567890123456789"  # a long number that is not an ID or phone stays


def test_pseudonym_same_person_across_sources(ingested):
    _, lake, _, _ = ingested
    # 13912345678 is the phone of the cases party; it does not appear elsewhere, so check a reporter:
    ev = pl.read_parquet(lake / "grid_events" / "date_forms.csv.parquet")
    gbk = pl.read_parquet(lake / "grid_events" / "gbk_encoded.csv.parquet")
    assert ev["reporter_pseudonym"][0] == gbk["reporter_pseudonym"][0]  # 张三丰 in two files


def test_vectorised_pseudonyms_equal_scalar():
    s = b"s" * 32
    values = ["张三", " 13812345678", "33010919900101123x", None, "  "]
    for kind in pii.KINDS:
        got = pii.pseudonymise(pl.Series(values, dtype=pl.String), s, kind).to_list()
        assert got == [pii.pseudonym(s, kind, v) for v in values]
