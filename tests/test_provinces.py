"""Province table and normaliser: fixed facts, every spelling found in the raw files, properties."""

from __future__ import annotations

import re
import string

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.data.provinces import (
    CODES,
    PROVINCES,
    REGIONS,
    AggregateRowError,
    UnknownProvinceError,
    is_aggregate,
    known_spellings,
    lookup,
    normalise,
    normalise_series,
)

# NBS four-region division (国家统计局 2011): east 10, central 6, west 12, northeast 3.
NBS_REGIONS = {
    "east": "北京 天津 河北 上海 江苏 浙江 福建 山东 广东 海南",
    "central": "山西 安徽 江西 河南 湖北 湖南",
    "west": "内蒙古 广西 重庆 四川 贵州 云南 西藏 陕西 甘肃 青海 宁夏 新疆",
    "northeast": "辽宁 吉林 黑龙江",
}


def test_table_facts():
    assert len(PROVINCES) == 31
    assert PROVINCES["province_code"].is_unique and PROVINCES["name_en"].is_unique
    assert PROVINCES["province_code"].dtype == "int64"
    assert PROVINCES["province_code"].min() == 110000 and PROVINCES["province_code"].max() == 650000
    assert REGIONS == ["east", "central", "west", "northeast"]
    for region, names in NBS_REGIONS.items():
        got = set(PROVINCES.loc[PROVINCES["region"] == region, "name_zh"])
        assert got == set(names.split()), region
    assert PROVINCES.set_index("name_zh").loc["内蒙古", "full_name_zh"] == "内蒙古自治区"
    assert PROVINCES.set_index("name_zh").loc["广西", "full_name_zh"] == "广西壮族自治区"
    assert set(PROVINCES["region_zh"]) == {"东部", "中部", "西部", "东北"}
    # Shanxi and Shaanxi are different provinces
    assert normalise("Shanxi") == 140000 and normalise("Shaanxi") == 610000


# Every distinct label read from the raw files (techme .rda, nbs_compilations, nqp_panel, wd_gpi),
# collected by scanning them on 2026-11-29.
RAW_SPELLINGS = {
    "上   海": 310000, "两藏": 540000, "四藏": 540000, "内蒙 古": 150000, "内蒙占": 150000,
    "江两": 360000, "江四": 360000, "山两": 140000, "浙汀": 330000, "黑龙 江": 230000,
    "新疆维吾尔自治区": 650000, "宁夏回族自治区": 640000, "广西壮族自治区": 450000,
    " 重 庆": 500000, " 黑龙江  ": 230000, "陕  西": 610000, "Yunan": 530000,
    "Inner Mongolia": 150000, "Tibet": 540000, "Xizang": 540000, "Neimenggu": 150000,
    "Ningxia Hui": 640000, "Guangxi Zhuang Autonomous Region": 450000, "Xinjiang Uyghur": 650000,
    "beijing": 110000, "SHANGHAI": 310000, "北京市": 110000, "\u3000北\u3000京\u3000": 110000,
    "１１": 110000, 11: 110000, "440000": 440000, 440000.0: 440000,
}


@pytest.mark.parametrize("name,code", list(RAW_SPELLINGS.items()))
def test_raw_spellings(name, code):
    assert normalise(name) == code


@pytest.mark.parametrize(
    "name", ["全国", "全   国", "合计", "总计", "东部地区", "尔部地区", "中部地区", "东北地区",
             "China", "National", "中国", 100000, "100000"],
)
def test_aggregates_are_separated(name):
    assert is_aggregate(name)
    with pytest.raises(AggregateRowError):
        normalise(name)


def test_provinces_are_not_aggregates():
    for row in PROVINCES.itertuples():
        for s in (row.name_zh, row.full_name_zh, row.name_en, row.pinyin, row.province_code):
            assert not is_aggregate(s)


def test_unknown_message_names_file_row_and_suggestions():
    with pytest.raises(UnknownProvinceError) as e:
        normalise("Guangdon", source="nqp_panel/x.xlsx", row=17)
    msg = str(e.value)
    assert "nqp_panel/x.xlsx" in msg and "row 17" in msg and "广东 440000" in msg
    assert isinstance(e.value, ValueError)
    with pytest.raises(UnknownProvinceError):
        normalise(990000)
    with pytest.raises(UnknownProvinceError):
        normalise(None)


def test_normalise_series_reports_all_unknowns():
    s = pd.Series(["北京", "Atlantis", "上海", "Gondor", "Atlantis"])
    with pytest.raises(UnknownProvinceError) as e:
        normalise_series(s, source="f.csv")
    msg = str(e.value)
    assert "Atlantis" in msg and "Gondor" in msg and "[1, 4]" in msg and "f.csv" in msg
    ok = normalise_series(pd.Series(["北 京", "江两", 11]), source="f")
    assert ok.tolist() == [110000, 360000, 110000] and ok.dtype == "int64"
    with pytest.raises(AggregateRowError):
        normalise_series(pd.Series(["北京", "全国"]))
    na = normalise_series(pd.Series(["北京", "全国"]), aggregates="na")
    assert na.iloc[0] == 110000 and pd.isna(na.iloc[1])


def test_lookup():
    row = lookup("Yunan")
    assert row["province_code"] == 530000 and row["region"] == "west" and row["name_zh"] == "云南"
    assert lookup(460000)["name_en"] == "Hainan"


_WS = st.sampled_from([" ", "\u3000", "\t", "\xa0", "  "])


@st.composite
def spelling_with_whitespace(draw):
    spelling = draw(st.sampled_from(known_spellings()))
    chars = list(spelling)
    out = []
    for c in chars:
        if draw(st.booleans()):
            out.append(draw(_WS))
        out.append(c)
    out.append(draw(st.sampled_from(["", " ", "\u3000"])))
    return spelling, "".join(out)


@settings(max_examples=300, deadline=None)
@given(spelling_with_whitespace())
def test_roundtrip_with_random_whitespace(pair):
    spelling, noisy = pair
    assert normalise(noisy) == normalise(spelling)


@given(st.sampled_from(sorted(CODES)))
def test_codes_map_to_themselves(code):
    assert normalise(code) == code
    assert normalise(str(code)) == code
    assert normalise(code // 10000) == code
    assert normalise(float(code)) == code


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=string.ascii_letters + "xyzqQ", min_size=3, max_size=12))
def test_unknown_strings_raise_with_suggestions(text):
    from analysis.data.provinces import OutOfScopeProvinceError

    try:
        code = normalise(text)
    except OutOfScopeProvinceError as e:  # Hong Kong, Macao, Taiwan: no typo suggestions
        assert "not one of the 31 mainland provinces" in str(e)
    except UnknownProvinceError as e:
        msg = str(e)
        assert "closest known names:" in msg
        codes = re.findall(r"\((\S+) (\d{6})\)", msg)  # each suggestion: "name (中文 code)"
        assert len(codes) <= 3 and len({c for _, c in codes}) == len(codes)  # distinct provinces
        assert codes or msg.endswith("none similar")
    except AggregateRowError:
        assert is_aggregate(text)
    else:
        assert code in CODES


def test_suggestions_are_distinct_provinces_or_none():
    """'Heilongjang' got 黑龙江省, 黑龙江, 黑龙汀 (one province three times); 香港 got the same."""
    with pytest.raises(UnknownProvinceError) as e:
        normalise("湖男", source="f.xls", row=4)
    assert str(e.value).endswith("closest known names: 湖南 (湖南 430000), 湖北 (湖北 420000)")
    with pytest.raises(UnknownProvinceError) as e:
        normalise("汉堡", source="f.xls", row=5)
    assert str(e.value) == "unknown province '汉堡' in f.xls, row 5; closest known names: none similar"


@pytest.mark.parametrize("name, code", [
    ("香港", 810000), ("香港特別行政區", 810000), ("HK", 810000), ("Hongkong", 810000),
    ("Hong Kong SAR", 810000), (" hong-kong ", 810000), (810000, 810000), ("81", 810000),
    ("澳门", 820000), ("澳門", 820000), ("Macau", 820000), ("MACAO", 820000), (82, 820000),
    ("台湾", 710000), ("臺灣", 710000), ("台湾省", 710000), ("中国台湾", 710000),
    ("Taiwan, China", 710000), ("Chinese Taipei", 710000), ("Taipei", 710000), (710000, 710000),
])
def test_hong_kong_macao_taiwan_are_out_of_scope(name, code):
    from analysis.data.provinces import OUT_OF_SCOPE, OutOfScopeProvinceError

    with pytest.raises(OutOfScopeProvinceError) as e:
        normalise(name, source="f.xls", row=7)
    msg = str(e.value)
    assert f"in f.xls, row 7 is {OUT_OF_SCOPE[code][0]}: not one of the 31 mainland provinces" in msg
    assert msg.endswith("(GB/T 2260 810000/820000/710000 are out of scope)")
    assert isinstance(e.value, UnknownProvinceError)  # callers catching unknown names still do


def test_series_names_out_of_scope_rows():
    from analysis.data.provinces import OutOfScopeProvinceError

    with pytest.raises(OutOfScopeProvinceError, match=r"'香港' at rows \[2\]; Hong Kong: not one"):
        normalise_series(pd.Series(["北京", "江苏", "香港"]), source="t.csv")
