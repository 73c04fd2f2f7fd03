"""Personal data stops at ingestion (contract §5).

Identifiers become keyed pseudonyms: `p_` + the first 16 hex digits of
HMAC-SHA256(secret, kind + ':' + normalised value). The kind keeps an ID number and a
phone number with the same digits apart; normalisation makes the same person get the
same pseudonym in every file and source. The secret lives in WORKDIR/.secret/ with
owner-only permissions, never in the repo or the published site.

Free text is scrubbed of resident ID and phone patterns and of personal values the
caller names (the record's reporter/party, or every name of the file).

Where staff must see which value was wrong (quarantine and flag listings, contract §6
v1.1), a personal value is *masked*: its first 3 and last 2 characters kept, `*` between
(`330109199001011237` -> `330*************37`); a value of 5 characters or fewer keeps
only its first character (`孙大圣` -> `孙**`), so a short name is never shown whole.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Iterable
from pathlib import Path

import polars as pl

SECRET_DIR = ".secret"
SECRET_FILE = "pseudonym.key"
SECRET_BYTES = 32

KINDS = ("name", "phone", "id_number")
MASKS = {"name": "[姓名]", "phone": "[电话]", "id_number": "[身份证]"}

_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_SPACES = re.compile(r"[\s\u3000\u00a0\ufeff]+")


def load_or_create_secret(workdir: Path) -> bytes:
    """WORKDIR/.secret/pseudonym.key: 32 random bytes, created on first use (dir 0700, file 0600)."""
    d = Path(workdir) / SECRET_DIR
    path = d / SECRET_FILE
    if path.exists():
        key = path.read_bytes()
        if len(key) != SECRET_BYTES:
            raise ValueError(f"{path}: expected {SECRET_BYTES} bytes, found {len(key)}; refusing to use it")
        return key
    d.mkdir(parents=True, exist_ok=True)
    os.chmod(d, 0o700)
    key = secrets.token_bytes(SECRET_BYTES)
    tmp = d / f".{SECRET_FILE}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key)
    try:
        os.link(tmp, path)  # never overwrite a key another process created meanwhile
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return load_or_create_secret(workdir)


def secret_fingerprint(secret: bytes) -> str:
    """A short, non-reversible identifier of the secret (lets the manifest notice a new key)."""
    return hmac.new(secret, b"fingerprint", hashlib.sha256).hexdigest()[:12]


def normalise(kind: str, value: str) -> str:
    """Spaces out, full-width ASCII mapped, upper-case (ID check letter X); phones keep digits only."""
    v = _SPACES.sub("", value.translate(_FULLWIDTH)).upper()
    if kind == "phone":
        digits = re.sub(r"\D", "", v)
        if len(digits) == 13 and digits.startswith("86") and digits[2] == "1":
            digits = digits[2:]  # +86 mobile
        return digits or v
    return v


def pseudonym(secret: bytes, kind: str, value: str | None) -> str | None:
    if kind not in KINDS:
        raise ValueError(f"unknown PII kind {kind!r}")
    if value is None:
        return None
    norm = normalise(kind, value)
    if not norm:
        return None
    return "p_" + hmac.new(secret, f"{kind}:{norm}".encode(), hashlib.sha256).hexdigest()[:16]


def pseudonymise(s: pl.Series, secret: bytes, kind: str) -> pl.Series:
    """Vectorised `pseudonym` (once per distinct value)."""
    if kind not in KINDS:
        raise ValueError(f"unknown PII kind {kind!r}")
    uniq = s.drop_nulls().unique()
    keyed = hmac.new(secret, digestmod=hashlib.sha256)  # key schedule once, copied per value
    out = []
    for v in uniq.to_list():
        norm = normalise(kind, v)
        if not norm:
            out.append(None)
            continue
        h = keyed.copy()
        h.update(f"{kind}:{norm}".encode())
        out.append("p_" + h.hexdigest()[:16])
    return s.replace_strict(uniq, pl.Series(out, dtype=pl.String), default=None, return_dtype=pl.String)


# --- free text ---------------------------------------------------------------------

_DATE8 = r"(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
_DATE6 = r"\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
# Resident IDs: 18 characters with a plausible birth date (check letter X), or 15-digit legacy.
ID_CORE = r"[1-9]\d{5}" + _DATE8 + r"\d{3}[\dXx]|[1-9]\d{5}" + _DATE6 + r"\d{3}"
# Mobile (optionally +86 and grouped 3-4-4), landline 0AA(A)-NNNNNNN(N) or (0AA)NNNNNNNN.
PHONE_CORE = r"(?:\+?86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}|0\d{2,3}-\d{7,8}|[(（]0\d{2,3}[)）] ?\d{7,8}"
# Python `re` has look-around; polars' Rust regex has not, so it captures the neighbours.
ID_PATTERN = r"(?<![0-9])(?:" + ID_CORE + r")(?![0-9])"
PHONE_PATTERN = r"(?<![0-9])(?:" + PHONE_CORE + r")(?![0-9])"
_ID_RUST = r"(^|[^0-9])(?:" + ID_CORE + r")([^0-9]|$)"
_PHONE_RUST = r"(^|[^0-9])(?:" + PHONE_CORE + r")([^0-9]|$)"
_ID_RE = re.compile(ID_PATTERN)
_PHONE_RE = re.compile(PHONE_PATTERN)


def scrub(
    text: str | None, names: Iterable[str | None] = (), phones: Iterable[str | None] = (), id_numbers: Iterable[str | None] = ()
) -> str | None:
    """Mask ID and phone patterns, then the given personal values, in one free-text value."""
    if text is None:
        return None
    t = _ID_RE.sub(MASKS["id_number"], text.translate(_FULLWIDTH_DIGITS))
    t = _PHONE_RE.sub(MASKS["phone"], t)
    for kind, values in (("id_number", id_numbers), ("phone", phones), ("name", names)):
        for v in sorted({v for v in values if v and len(v.strip()) >= 2}, key=len, reverse=True):
            t = t.replace(v.strip(), MASKS[kind])
    return t


# Full-width digits are mapped before matching so `１３８…` cannot slip through.
_FULLWIDTH_DIGITS = {cp: cp - 0xFEE0 for cp in range(0xFF10, 0xFF1A)}


def scrub_expr(col: pl.Expr) -> pl.Expr:
    """Vectorised pattern scrub (IDs and phones) of a text column."""
    c = col.str.replace_many([chr(cp) for cp in _FULLWIDTH_DIGITS], [chr(cp - 0xFEE0) for cp in _FULLWIDTH_DIGITS])
    # Twice: a match consumes the neighbour the next adjacent match would need.
    for _ in range(2):
        c = c.str.replace_all(_ID_RUST, "${1}" + MASKS["id_number"] + "${2}")
    for _ in range(2):
        c = c.str.replace_all(_PHONE_RUST, "${1}" + MASKS["phone"] + "${2}")
    return c


def value_patterns(
    names: Iterable[str], phones: Iterable[str] = (), id_numbers: Iterable[str] = ()
) -> tuple[pl.Series, pl.Series]:
    """(values, masks) for `scrub_values_expr`, longest first; values shorter than 2 are skipped.
    Series, not lists: polars would convert a list into a new Series at every use."""
    patterns: dict[str, str] = {}
    for kind, values in (("name", names), ("phone", phones), ("id_number", id_numbers)):
        for v in values:
            if v and len(v) >= 2:
                patterns.setdefault(v, MASKS[kind])
    keys = sorted(patterns, key=len, reverse=True)
    return pl.Series([keys], dtype=pl.List(pl.String)), pl.Series([[patterns[k] for k in keys]], dtype=pl.List(pl.String))


def scrub_values_expr(
    col: pl.Expr,
    names: Iterable[str] = (),
    phones: Iterable[str] = (),
    id_numbers: Iterable[str] = (),
    *,
    patterns: tuple[pl.Series, pl.Series] | None = None,
) -> pl.Expr:
    """Mask every occurrence of the given raw personal values (one Aho-Corasick pass).
    Pass `patterns` (from `value_patterns`) to reuse them across columns."""
    keys, masks = patterns if patterns is not None else value_patterns(names, phones, id_numbers)
    if keys.list.len()[0] == 0:
        return col
    return col.str.replace_many(pl.lit(keys).first(), pl.lit(masks).first(), leftmost=True)


# --- masking (values shown to staff in quarantine / flag listings) -------------------

MASK_KEEP_HEAD, MASK_KEEP_TAIL = 3, 2


def mask(value: str | None) -> str | None:
    """First 3 and last 2 characters kept, `*` between; short values keep the first only."""
    if value is None:
        return None
    n = len(value)
    if n > MASK_KEEP_HEAD + MASK_KEEP_TAIL:
        return value[:MASK_KEEP_HEAD] + "*" * (n - MASK_KEEP_HEAD - MASK_KEEP_TAIL) + value[-MASK_KEEP_TAIL:]
    return value[:1] + "*" * (n - 1)


def mask_expr(col: pl.Expr) -> pl.Expr:
    """Vectorised `mask`."""
    n = col.str.len_chars()
    stars = pl.lit("*" * 256)
    long = (
        col.str.slice(0, MASK_KEEP_HEAD)
        + stars.str.slice(0, n - MASK_KEEP_HEAD - MASK_KEEP_TAIL)
        + col.str.slice(-MASK_KEEP_TAIL)
    )
    short = col.str.slice(0, 1) + stars.str.slice(0, n - 1)
    return pl.when(n > MASK_KEEP_HEAD + MASK_KEEP_TAIL).then(long).when(n > 0).then(short).otherwise(col)
