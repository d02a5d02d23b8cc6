"""The 31 mainland provinces: codes, names, regions, and the one province-name normaliser.

Every parser maps the province labels it reads through :func:`normalise` (or
:func:`normalise_series`), so that all processed tables share the key ``province_code``
(GB/T 2260 six-digit administrative code, 110000 … 650000).

Regions follow the National Bureau of Statistics four-region division (东部 10, 中部 6,
西部 12, 东北 3; NBS, 《东西中部和东北地区划分方法》, 2011).

Spellings handled (all found in the raw files, see ``data/raw/README.md``):

* full and short Chinese names (北京市 / 北京, 内蒙古自治区 / 内蒙古), with any whitespace —
  including full-width and internal spaces (``'北   京'``, ``'内蒙 古'``);
* OCR errors of the S&T yearbook tables: 内蒙占, 江两, 江四, 山两, 两藏, 四藏, 浙汀;
* English names, pinyin and their variants/typos ("Inner Mongolia", "Neimenggu", "Nei Mongol",
  "Tibet", "Xizang", "Ningxia Hui", "Guangxi Zhuang", "Xinjiang Uygur", "Yunan", …), case- and
  whitespace-insensitive, with suffixes such as "Province" or "Autonomous Region" dropped;
* numeric codes, int or str, two-digit (11) or six-digit (110000).

Hong Kong, Macao and Taiwan (GB/T 2260 810000, 820000, 710000) in any spelling (香港, 澳門, 臺灣,
"HK", "Macau", "Chinese Taipei", 81, 710000, …) are outside the 31 mainland provinces this
project covers: :func:`normalise` raises :class:`OutOfScopeProvinceError` for them, saying so
(not a typo suggestion).

National totals and regional subtotals (全国, 合计, 东部地区, its OCR form 尔部地区, "China",
"National", …) are *not* provinces: :func:`is_aggregate` recognises them and :func:`normalise`
raises :class:`AggregateRowError` for them, so callers drop or keep them explicitly.
"""

from __future__ import annotations

import difflib
import numbers
import re
import unicodedata
from collections.abc import Hashable
from typing import Literal

import pandas as pd

__all__ = [
    "PROVINCES",
    "REGIONS",
    "CODES",
    "AggregateRowError",
    "OutOfScopeProvinceError",
    "UnknownProvinceError",
    "is_aggregate",
    "normalise",
    "normalise_series",
    "lookup",
    "known_spellings",
]

REGIONS: list[str] = ["east", "central", "west", "northeast"]
_REGION_ZH = {"east": "东部", "central": "中部", "west": "西部", "northeast": "东北"}
_REGION_EN = {"east": "East", "central": "Central", "west": "West", "northeast": "Northeast"}

# code, short name, full name, English (NBS usage), pinyin, region
_ROWS = [
    (110000, "北京", "北京市", "Beijing", "Beijing", "east"),
    (120000, "天津", "天津市", "Tianjin", "Tianjin", "east"),
    (130000, "河北", "河北省", "Hebei", "Hebei", "east"),
    (140000, "山西", "山西省", "Shanxi", "Shanxi", "central"),
    (150000, "内蒙古", "内蒙古自治区", "Inner Mongolia", "Nei Menggu", "west"),
    (210000, "辽宁", "辽宁省", "Liaoning", "Liaoning", "northeast"),
    (220000, "吉林", "吉林省", "Jilin", "Jilin", "northeast"),
    (230000, "黑龙江", "黑龙江省", "Heilongjiang", "Heilongjiang", "northeast"),
    (310000, "上海", "上海市", "Shanghai", "Shanghai", "east"),
    (320000, "江苏", "江苏省", "Jiangsu", "Jiangsu", "east"),
    (330000, "浙江", "浙江省", "Zhejiang", "Zhejiang", "east"),
    (340000, "安徽", "安徽省", "Anhui", "Anhui", "central"),
    (350000, "福建", "福建省", "Fujian", "Fujian", "east"),
    (360000, "江西", "江西省", "Jiangxi", "Jiangxi", "central"),
    (370000, "山东", "山东省", "Shandong", "Shandong", "east"),
    (410000, "河南", "河南省", "Henan", "Henan", "central"),
    (420000, "湖北", "湖北省", "Hubei", "Hubei", "central"),
    (430000, "湖南", "湖南省", "Hunan", "Hunan", "central"),
    (440000, "广东", "广东省", "Guangdong", "Guangdong", "east"),
    (450000, "广西", "广西壮族自治区", "Guangxi", "Guangxi", "west"),
    (460000, "海南", "海南省", "Hainan", "Hainan", "east"),
    (500000, "重庆", "重庆市", "Chongqing", "Chongqing", "west"),
    (510000, "四川", "四川省", "Sichuan", "Sichuan", "west"),
    (520000, "贵州", "贵州省", "Guizhou", "Guizhou", "west"),
    (530000, "云南", "云南省", "Yunnan", "Yunnan", "west"),
    (540000, "西藏", "西藏自治区", "Tibet", "Xizang", "west"),
    (610000, "陕西", "陕西省", "Shaanxi", "Shaanxi", "west"),
    (620000, "甘肃", "甘肃省", "Gansu", "Gansu", "west"),
    (630000, "青海", "青海省", "Qinghai", "Qinghai", "west"),
    (640000, "宁夏", "宁夏回族自治区", "Ningxia", "Ningxia", "west"),
    (650000, "新疆", "新疆维吾尔自治区", "Xinjiang", "Xinjiang", "west"),
]

PROVINCES: pd.DataFrame = pd.DataFrame(
    _ROWS, columns=["province_code", "name_zh", "full_name_zh", "name_en", "pinyin", "region"]
).astype({"province_code": "int64"})
PROVINCES["region_zh"] = PROVINCES["region"].map(_REGION_ZH)
PROVINCES["region_en"] = PROVINCES["region"].map(_REGION_EN)
PROVINCES = PROVINCES.set_index(PROVINCES["province_code"].rename(None), drop=False)
"""31 rows, one per province, in GB/T 2260 order; index = ``province_code``."""

CODES: frozenset[int] = frozenset(PROVINCES["province_code"].tolist())

# Spellings seen in the raw files that are not the official names (OCR errors, typos, variants).
_EXTRA_ALIASES: dict[str, int] = {
    # OCR errors in techme (China Statistical Yearbook on S&T), see data/raw/README.md
    "内蒙占": 150000,
    "江两": 360000,
    "江四": 360000,
    "山两": 140000,
    "两藏": 540000,
    "四藏": 540000,
    "浙汀": 330000,
    "黑龙汀": 230000,
    # other Chinese variants
    "内蒙": 150000,
    "广西壮族": 450000,
    "宁夏回族": 640000,
    "新疆维吾尔": 650000,
    "新疆维吾尔族": 650000,
    # English / pinyin variants and typos (wd_gpi uses "Yunan")
    "yunan": 530000,
    "innermongolia": 150000,
    "neimenggu": 150000,
    "neimongol": 150000,
    "neimonggol": 150000,
    "mongolia": 150000,
    "tibet": 540000,
    "xizang": 540000,
    "shensi": 610000,
    "peking": 110000,
}

# Suffixes dropped before a second look-up (longest first).
_ZH_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市")
_EN_SUFFIXES = (
    "specialadministrativeregion",
    "autonomousregion",
    "municipality",
    "province",
    "city",
    "shi",
    "sheng",
    "zizhiqu",
    "uygur",
    "uyghur",
    "uighur",
    "zhuang",
    "hui",
)


class UnknownProvinceError(ValueError):
    """A label that is neither a known province spelling nor an aggregate row."""


class AggregateRowError(ValueError):
    """A national-total or regional-subtotal row passed where a province was expected."""


class OutOfScopeProvinceError(UnknownProvinceError):
    """Hong Kong, Macao or Taiwan: provincial-level in GB/T 2260, but not one of the 31."""


OUT_OF_SCOPE: dict[int, tuple[str, tuple[str, ...]]] = {
    810000: ("Hong Kong", ("香港", "中国香港", "香港特别行政区", "香港特別行政區", "香港特区", "香港特區",
                           "Hong Kong", "Hongkong", "Hong Kong SAR", "HKSAR", "HK", "HKG",
                           "Xianggang", "Heung Gong")),
    820000: ("Macao", ("澳门", "中国澳门", "中國澳門", "澳門", "澳门特别行政区", "澳門特別行政區", "澳门特区", "澳門特區",
                       "Macao", "Macau", "Macao SAR", "Macau SAR", "MO", "MAC", "Aomen")),
    710000: ("Taiwan", ("台湾", "中国台湾", "中國臺灣", "中国台湾省", "臺灣", "台灣", "臺湾", "台湾省", "臺灣省", "台灣省", "台湾地区",
                        "臺灣地區", "Taiwan", "Taiwan Province", "Taiwan Province of China",
                        "Chinese Taipei", "Taipei", "台北", "臺北", "TW", "TWN", "Taiwan ROC",
                        "Republic of China")),
}
"""GB/T 2260 codes outside the 31 mainland provinces, with their spellings (cleaned on use)."""


def _clean(name: object) -> str:
    """NFKC-normalise, drop every kind of whitespace and punctuation, lower-case Latin letters."""
    s = unicodedata.normalize("NFKC", str(name))
    s = re.sub(r"[\s\u200b\ufeff]+", "", s)
    s = re.sub(r"[-_.,'’·/()（）\[\]*#:：;；\"]", "", s)
    return s.lower()


def _build_aliases() -> dict[str, int]:
    aliases: dict[str, int] = {}
    for row in PROVINCES.itertuples(index=False):
        for spelling in (row.name_zh, row.full_name_zh, row.name_en, row.pinyin):
            aliases[_clean(spelling)] = int(row.province_code)
    for spelling, code in _EXTRA_ALIASES.items():
        aliases[_clean(spelling)] = code
    return aliases


_ALIASES: dict[str, int] = _build_aliases()
_OUT_OF_SCOPE_ALIASES: dict[str, int] = {
    _clean(spelling): code for code, (_, spellings) in OUT_OF_SCOPE.items() for spelling in spellings
}


def _out_of_scope(name: object) -> int | None:
    """GB/T 2260 code (810000, 820000, 710000) if ``name`` is Hong Kong, Macao or Taiwan."""
    if isinstance(name, bool) or name is None:
        return None
    if isinstance(name, numbers.Integral | float) or re.fullmatch(
            r"\d+(\.0+)?", unicodedata.normalize("NFKC", str(name)).strip()):
        try:
            v = int(float(unicodedata.normalize("NFKC", str(name)).strip()))
        except ValueError:
            return None
        v = v * 10000 if v in (71, 81, 82) else v
        return v if v in OUT_OF_SCOPE else None
    s = _clean(name)
    for suffix in ("", "specialadministrativeregion", "sar", "region", "province", "china"):
        base = s[: -len(suffix)] if suffix and s.endswith(suffix) else s
        if base in _OUT_OF_SCOPE_ALIASES:
            return _OUT_OF_SCOPE_ALIASES[base]
    return None


def _out_of_scope_message(name: object, code: int, where: str) -> str:
    return (f"{name!r}{where} is {OUT_OF_SCOPE[code][0]}: not one of the 31 mainland provinces "
            "(GB/T 2260 810000/820000/710000 are out of scope)")

_AGGREGATE_EXACT = {
    _clean(s)
    for s in (
        "全国", "中国", "全国合计", "全国总计", "合计", "总计", "总计数", "小计", "地方合计", "中央",
        "中央本级", "地方", "东部", "中部", "西部", "东北", "东北部", "尔部", "东部地区", "中部地区",
        "西部地区", "东北地区", "尔部地区", "东北部地区", "东中部", "其他", "不分地区", "境外",
        "China", "National", "Nationwide", "National total", "Total", "All", "Whole country",
        "China total", "Sum", "Subtotal", "East", "Central", "West", "Northeast", "Eastern",
        "Central region", "Western", "Eastern region", "Western region", "Northeast region",
    )
}
_AGGREGATE_PATTERN = re.compile(r"(合计|总计|小计|全国|(东|中|西|尔|东北)部?地区)")


def is_aggregate(name: object) -> bool:
    """Whether ``name`` labels a national total or a regional subtotal rather than a province.

    Parameters
    ----------
    name : str or int
        A row label as read from a raw file (``'全   国'``, ``'东部地区'``, ``'尔部地区'`` — the
        OCR form of 东部地区 —, ``'China'``, ``'National'``, the national code ``100000`` or ``0``).

    Returns
    -------
    bool
    """
    if isinstance(name, bool) or name is None:
        return False
    if isinstance(name, numbers.Integral | float) and not pd.isna(name):
        return float(name) in (0.0, 100000.0)
    s = _clean(name)
    if not s:
        return False
    if s in _ALIASES:
        return False
    if s in _AGGREGATE_EXACT or s in {"100000", "0", "00"}:
        return True
    return bool(_AGGREGATE_PATTERN.search(s))


def _code_from_number(name: object) -> int | None:
    """Return the province code for a 2- or 6-digit numeric code, None if ``name`` is not numeric."""
    if isinstance(name, bool):
        return None
    if isinstance(name, numbers.Integral):
        value = int(name)
    elif isinstance(name, float):
        if pd.isna(name) or not float(name).is_integer():
            return None
        value = int(name)
    else:
        s = unicodedata.normalize("NFKC", str(name)).strip()
        if re.fullmatch(r"\d+(\.0+)?", s):
            value = int(float(s))
        else:
            return None
    if 11 <= value <= 65 and value * 10000 in CODES:
        return value * 10000
    if value in CODES:
        return value
    return -1  # numeric but not a province code


def known_spellings() -> list[str]:
    """Every spelling :func:`normalise` accepts verbatim (after whitespace/case cleaning)."""
    return sorted(_ALIASES)


def _where(source: object, row: object) -> str:
    parts = []
    if source is not None:
        parts.append(f"in {source}")
    if row is not None:
        parts.append(f"row {row}")
    return (" " + ", ".join(parts)) if parts else ""


def _suggest(name: object, n: int = 3, cutoff: float = 0.3) -> list[str]:
    """Closest known spellings of ``n`` different provinces (difflib ratio >= ``cutoff``).

    Each shown with the official short name and code; ``["none similar"]`` when no spelling
    reaches the cutoff.
    """
    s = _clean(name)
    matches = difflib.get_close_matches(s, list(_ALIASES), n=len(_ALIASES), cutoff=cutoff)
    out, seen = [], set()
    for m in matches:
        code = _ALIASES[m]
        if code not in seen:
            seen.add(code)
            out.append(f"{m} ({PROVINCES.at[code, 'name_zh']} {code})")
        if len(out) == n:
            break
    return out or ["none similar"]


def normalise(name: object, *, source: object = None, row: object = None) -> int:
    """Map any spelling of a province to its GB/T 2260 code.

    Parameters
    ----------
    name : str, int or float
        A province label as read from a raw file: Chinese full or short name with any
        whitespace, a known OCR error, an English name or pinyin (case-insensitive), or a
        2-digit / 6-digit numeric code (int, float or str).
    source : str, optional
        The file (and sheet/object) the label comes from; used in error messages.
    row : int or str, optional
        The row (or other locator) of the label; used in error messages.

    Returns
    -------
    int
        Six-digit province code, one of ``PROVINCES.province_code``.

    Raises
    ------
    AggregateRowError
        If ``name`` is a national total or regional subtotal (see :func:`is_aggregate`).
    OutOfScopeProvinceError
        If ``name`` is Hong Kong, Macao or Taiwan in any spelling or code (a subclass of
        :class:`UnknownProvinceError`): "not one of the 31 mainland provinces".
    UnknownProvinceError
        If ``name`` is not recognised; the message names ``source``, ``row`` and the three
        closest known spellings (``difflib``).
    """
    if name is None or (isinstance(name, float) and pd.isna(name)) or name is pd.NA:
        raise UnknownProvinceError(f"missing province name{_where(source, row)}")
    code = _code_from_number(name)
    if code is not None and code > 0:
        return code
    oos = _out_of_scope(name)
    if oos is not None:
        raise OutOfScopeProvinceError(_out_of_scope_message(name, oos, _where(source, row)))
    if is_aggregate(name):
        raise AggregateRowError(
            f"{name!r}{_where(source, row)} is a national total or regional subtotal, "
            "not a province; separate it with is_aggregate() first"
        )
    if code is None:
        s = _clean(name)
        if s in _ALIASES:
            return _ALIASES[s]
        for suffixes in (_ZH_SUFFIXES, _EN_SUFFIXES):
            stripped = s
            changed = True
            while changed:
                changed = False
                for suf in suffixes:
                    if stripped.endswith(suf) and len(stripped) > len(suf):
                        stripped = stripped[: -len(suf)]
                        changed = True
                        if stripped in _ALIASES:
                            return _ALIASES[stripped]
    raise UnknownProvinceError(
        f"unknown province {name!r}{_where(source, row)}; closest known names: "
        + ", ".join(_suggest(name))
    )


def normalise_series(
    s: pd.Series,
    *,
    source: object = None,
    aggregates: Literal["raise", "na"] = "raise",
) -> pd.Series:
    """Normalise a column of province labels, reporting every unknown label at once.

    Parameters
    ----------
    s : pandas.Series
        Labels (any spelling :func:`normalise` accepts), length n.
    source : str, optional
        File (and sheet/object) the labels come from, for error messages.
    aggregates : {"raise", "na"}
        What to do with national-total / subtotal rows: raise :class:`AggregateRowError`
        (default) or return ``<NA>`` for them (the result is then ``Int64``).

    Returns
    -------
    pandas.Series
        Length n, same index, dtype ``int64`` (``Int64`` when ``aggregates="na"``).

    Raises
    ------
    UnknownProvinceError
        Listing every unrecognised label with its rows (index labels) and suggestions.
    AggregateRowError
        If aggregates are present and ``aggregates="raise"``.
    """
    if aggregates not in ("raise", "na"):
        raise ValueError(f"aggregates must be 'raise' or 'na', got {aggregates!r}")
    mapping: dict[Hashable, int | None] = {}
    unknown: dict[str, list] = {}
    aggs: dict[str, list] = {}
    for idx, value in s.items():
        key = value if not (isinstance(value, float) and pd.isna(value)) else None
        try:
            hash(key)
        except TypeError:
            key = str(key)
        if key in mapping:
            continue
        try:
            mapping[key] = normalise(value, source=source)
        except AggregateRowError:
            mapping[key] = None
            aggs.setdefault(str(value), []).append(idx)
        except UnknownProvinceError:
            unknown.setdefault(str(value), []).append(idx)
            mapping[key] = None
    if unknown:
        rows = {k: [i for i, v in s.items() if str(v) == k] for k in unknown}
        oos = {k: _out_of_scope(k) for k in rows}
        lines = [
            f"  {k!r} at rows {v[:10]}{' …' if len(v) > 10 else ''}; "
            + (f"{OUT_OF_SCOPE[oos[k]][0]}: not one of the 31 mainland provinces"
               if oos[k] else "closest: " + ", ".join(_suggest(k)))
            for k, v in rows.items()
        ]
        err = OutOfScopeProvinceError if all(oos.values()) else UnknownProvinceError
        raise err(
            f"{len(unknown)} unknown province name(s){_where(source, None)}:\n" + "\n".join(lines)
            + ("\n(GB/T 2260 810000/820000/710000 are out of scope)" if any(oos.values()) else "")
        )
    if aggs and aggregates == "raise":
        rows = {k: [i for i, v in s.items() if str(v) == k] for k in aggs}
        raise AggregateRowError(
            f"aggregate rows{_where(source, None)} (not provinces): "
            + "; ".join(f"{k!r} at rows {v[:10]}" for k, v in rows.items())
        )

    def _get(v):
        key = v if not (isinstance(v, float) and pd.isna(v)) else None
        try:
            hash(key)
        except TypeError:
            key = str(key)
        return mapping[key]

    out = s.map(_get)
    if aggregates == "na":
        return out.astype("Int64")
    return out.astype("int64")


def lookup(code_or_name: object) -> pd.Series:
    """Return the :data:`PROVINCES` row for a code or any accepted spelling.

    Parameters
    ----------
    code_or_name : int or str

    Returns
    -------
    pandas.Series
        ``province_code``, ``name_zh``, ``full_name_zh``, ``name_en``, ``pinyin``, ``region``,
        ``region_zh``, ``region_en``.

    Raises
    ------
    UnknownProvinceError, AggregateRowError
        As :func:`normalise`.
    """
    return PROVINCES.loc[normalise(code_or_name)].copy()
