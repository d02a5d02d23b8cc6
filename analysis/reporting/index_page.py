"""``reports/index.html`` and the typology pages: every province at a glance, linked to its reports.

One page in both languages (the reader's choice is remembered in the browser): a map of D (all of
China, :func:`analysis.reporting.maps.draw_map`), a sortable table of key metrics with the year
each column shows, which becomes one card per province on a phone, links to every report under
the province's name (a report whose latest run failed is marked with the reason), the typology pages, the paper tables
and the data sources. The body is the Jinja2 template ``templates/index.html.j2``; the
behaviour and the layout are package data (``static/index.js``, ``static/index.css``) inlined
into a self-contained page (:func:`analysis.htmlpage.page`).

:func:`write_typology_pages` writes ``reports/typology_<year>_{zh,en}.html``: the framework's
typology table with labels in each language (beside the index: ``reports/framework/`` is the
framework step's own folder).
"""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Any

import pandas as pd
from markupsafe import Markup

from analysis import paths
from analysis.htmlpage import page
from analysis.labels import model_key, z_scores
from analysis.numfmt import num
from analysis.reporting import i18n

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"


def _mode_year(m: pd.DataFrame, col: str) -> int | None:
    """Most common year in column ``col`` of the index metrics (``None`` if absent)."""
    if col not in m.columns or not m[col].notna().any():
        return None
    return int(m[col].dropna().astype(int).mode().iloc[0])


def index_caption(m: pd.DataFrame, typology_year: int | None = None) -> dict[str, str]:
    """Which year each column of the index table shows, ``{"zh": …, "en": …}``.

    Each metric is the province's latest year with data; a province whose year differs from the
    column's is counted, so that no value is silently older. ``typology_year``: the year of the
    framework's typology table, named when it differs from the table's year.
    """
    parts_zh, parts_en = [], []
    for col, zh, en in (("gdp_year", "GDP、人均 GDP", "GDP and GDP per capita"),
                        ("rd_intensity_year", "R&D 强度", "R&D intensity"),
                        ("D_year", "耦合协调度、联系指数、协调等级、主导模式与障碍强度最大的路径",
                         "D, linkage index, class, dominant model and the pathways furthest from the best values")):
        y = _mode_year(m, col)
        if y is None:
            continue
        other = int((m[col].notna() & (m[col] != y)).sum())
        parts_zh.append(f"{zh}为 {y} 年" + (f"（{other} 个省份为其最近有数据的其他年份）" if other else ""))
        parts_en.append(f"{en} in {y}" + (f" ({other} province{'s' if other > 1 else ''}: their latest other "
                                          "year with data)" if other else ""))
    yd = _mode_year(m, "D_year")
    zh = "各列年份：" + "；".join(parts_zh) + "（各省最近有数据的年份）。"
    en = "Years: " + "; ".join(parts_en) + " (each province's latest year with data)."
    if "D_rank_lo" in m.columns or "linkage_rank_lo" in m.columns:
        zh += "排名 1 为最高，方括号内为排名在融合框架不确定性分析各设定下的 90% 区间。"
        en += (" Rank 1 = highest; in brackets, the 90% interval of the rank over the specifications of the "
               "framework's uncertainty analysis.")
    if "model_confidence" in m.columns:
        zh += ("主导模式的置信度低于 0.8 时标为“倾向”；“多模式”指没有一个支柱在至少三分之二的设定中领先，"
               "括号内为在至少四分之一的设定中领先的支柱。")
        en += (" A dominant model with confidence below 0.8 is marked as a tendency; “multi” means that no pillar "
               "leads in at least two thirds of the specifications (in brackets: the pillars leading in at least a "
               "quarter of them).")
    if "obstacle_pathways" in m.columns:
        zh += "路径列为按权重计离最优观测值最远的两条路径（障碍强度），是相对位置，不表示投入回报。"
        en += (" The pathway column names the two pathways whose indicators are, weight for weight, furthest from "
               "the best-observed values (obstacle intensity): a relative position, not a return on effort.")
    if "n_filled" in m.columns and (pd.to_numeric(m["n_filled"], errors="coerce").fillna(0) > 0).any():
        zh += "† 该省该年的得分使用了按融合框架缺失值规则填补的数值（指标与规则见各省报告）。"
        en += (" † The province's scores that year are computed with values filled by the framework's "
               "missing-value rule (indicators and rules in its report).")
    if yd is not None and typology_year is not None and yd != typology_year:
        zh += f"融合模式类型表为 {typology_year} 年（见下方链接），本表的主导模式为 {yd} 年，二者可能不同。"
        en += (f" The typology table is for {typology_year} (link below); the dominant model here is for {yd}, "
               "so the two can differ.")
    return {"zh": zh, "en": en}


def typology_year(out_root: Path) -> int | None:
    """Year of the framework's typology table (``reports/framework/typology_<year>.csv``), or None."""
    ys = [int(f.stem.removeprefix("typology_")) for f in (Path(out_root) / "framework").glob("typology_*.*")
          if f.stem.removeprefix("typology_").isdigit()]
    return max(ys) if ys else None


def _rel(target: Path, start: Path) -> str:
    return Path(os.path.relpath(target, start)).as_posix()


def _bi(zh: str, en: str) -> str:
    return f'<span data-l="zh">{html.escape(zh)}</span><span data-l="en">{html.escape(en)}</span>'


def index_links(out_root: Path) -> list[str]:
    """Links from the index to the typology pages, the paper tables and the data sources (only
    files that exist; relative)."""
    from analysis.models.tables import TABLE_TITLES

    out_root = Path(out_root)
    items = []
    years = sorted({f.stem.split("_")[1] for f in out_root.glob("typology_*_en.html")})
    for y in years:
        items.append(f'{_bi(f"融合模式类型表（{y} 年）", f"Integration typology, {y}")} '
                     f'(<a href="typology_{y}_zh.html">中文</a>, <a href="typology_{y}_en.html">English</a>)')
    paper = out_root / "paper"
    first = ("baseline", "threshold", "spatial_sdm", "spatial_effects")
    names = sorted({f.stem.rsplit("_", 1)[0] for f in paper.glob("*_en.html")},
                   key=lambda n: (first.index(n) if n in first else len(first), n))
    if names:
        links = " · ".join(
            f'{_bi(TABLE_TITLES.get(n, {}).get("zh", n), TABLE_TITLES.get(n, {}).get("en", n))} '
            f'(<a href="{_rel(paper / f"{n}_zh.html", out_root)}">中文</a>, '
            f'<a href="{_rel(paper / f"{n}_en.html", out_root)}">English</a>)' for n in names)
        items.append(f'{_bi("论文表格：", "Paper tables: ")}{links} · '
                     f'<a href="{_rel(paper, out_root)}/">{_bi("全部文件", "all files")}</a>')
    root = out_root.parent
    for f, zh, en in ((root / "data" / "raw" / "SOURCES.md", "数据来源", "Data sources"),
                      (root / "data" / "processed" / "codebook.csv", "变量说明（codebook）", "Codebook")):
        if f.exists():
            items.append(f'<a href="{_rel(f, out_root)}">{_bi(zh, en)}</a>')
    return items


def _cell(v: Any, text: str | None = None, cls: str = "", zh: Any = None, en: Any = None, extra: str = "") -> dict:
    missing = v is None or (isinstance(v, float) and pd.isna(v))
    return {"v": "" if missing else str(v), "text": "—" if missing else (text if text is not None else str(v)),
            "cls": cls, "zh": None if missing else zh, "en": en, "extra": extra}


def _filled(r: pd.Series) -> bool:
    n = r.get("n_filled")
    return n is not None and not pd.isna(n) and int(n) > 0


def _ranked_cell(r: pd.Series, key: str, mark: str = "") -> dict:
    """A score with, on a second line, its rank and the rank's 90 % interval: ``0.512†`` / ``5 [1–5]``."""
    v, rank = r.get(key), r.get(f"{key}_rank")
    if v is None or pd.isna(v):
        return _cell(None)
    lo, hi = r.get(f"{key}_rank_lo"), r.get(f"{key}_rank_hi")
    sub = ""
    if rank is not None and not pd.isna(rank):
        iv = f" [{int(lo)}–{int(hi)}]" if lo is not None and hi is not None and not (pd.isna(lo) or pd.isna(hi)) else ""
        sub = f'<span class="rk">{int(rank)}{iv}</span>'
    return {"v": str(v), "text": "", "cls": "num", "zh": None, "en": None,
            "extra": f"<span>{html.escape(num(v, 'score') + mark)}{sub}</span>"}


def model_words(L, r: pd.Series, lang: str, short: bool = False) -> str:
    """The dominant model in words, with "tendency, low confidence 0.55" below 0.8 and, for
    ``multi``, the pillars leading in at least a quarter of the specifications (``model_profile``);
    ``short``: ``multi`` without its parenthetical gloss (the pillars say which)."""
    from analysis.reporting.context import STABILITY_MIN

    z = z_scores(r)
    words = L.model(r.get("model"), lang, z, short=short and model_key(r.get("model"), z) == "multi")
    extra = []
    prof = r.get("model_profile")
    if r.get("model") == "multi" and isinstance(prof, str) and prof:
        extra.append(("＋" if lang == "zh" else " + ").join(L.model(p, lang, short=True) for p in prof.split("+")))
    conf = r.get("model_confidence")
    if conf is not None and not pd.isna(conf) and float(conf) < STABILITY_MIN:
        extra.append(i18n.t("low_confidence", lang, conf=num(float(conf), "level")))
    if not extra:
        return words
    return words + ("（" + "；".join(extra) + "）" if lang == "zh" else " (" + "; ".join(extra) + ")")


def _model_cell(L, r: pd.Series) -> dict:
    """The dominant model (short label) with its qualifiers on a second line (index table)."""
    z = z_scores(r)
    key = model_key(r.get("model"), z)
    out = {}
    for lang in ("zh", "en"):
        full, label = model_words(L, r, lang), L.model(r.get("model"), lang, z)
        qual = full[len(label):].strip()
        short = L.model(r.get("model"), lang, z, short=True) if key == "multi" else label
        out[lang] = Markup(html.escape(short) + (f'<span class="rk">{html.escape(qual)}</span>' if qual else ""))
    return _cell(key, zh=out["zh"], en=out["en"])


def index_rows(inp, m: pd.DataFrame, prov_dir: Path, status: dict[str, dict[str, Any]] | None) -> tuple[list, list]:
    """Columns (labels, years, sort order) and rows (cells with sort value and both languages)."""
    L = inp.labels
    has = set(m.columns)
    yg, yr, yd = (_mode_year(m, c) for c in ("gdp_year", "rd_intensity_year", "D_year"))
    cols = [dict(zh="代码", en="Code", year=None, order="asc"), dict(zh="省份", en="Province", year=None, order="asc"),
            dict(zh="区域", en="Region", year=None, order="asc")]
    if "gdp" in has:
        cols += [dict(zh="GDP（亿元）", en="GDP (100 million yuan)", year=yg, order="desc", wrap=True),
                 dict(zh="人均 GDP（元）", en="GDP per capita (yuan)", year=yg, order="desc", wrap=True),
                 dict(zh="R&D 强度", en="R&D intensity", year=yr, order="desc")]
    path_col = "obstacle_pathways" if "obstacle_pathways" in has else "weakest_pathways"
    if "D" in has:
        cols += [dict(zh="D（排名）", en="D (rank)", year=yd, order="desc")]
        if "linkage" in has:
            cols += [dict(zh="联系指数（排名）", en="Linkage (rank)", year=yd, order="desc", wrap=True)]
        cols += [dict(zh="协调等级", en="Class", year=yd, order="desc"),
                 dict(zh="主导模式", en="Dominant model", year=yd, order="asc", wrap=True)]
    if path_col in has:
        key = "obstacle_pathways" if path_col == "obstacle_pathways" else "weakest"
        cols += [dict(zh=i18n.t(key, "zh"), en=i18n.t(key, "en"), year=yd, order="asc", wrap=True)]
    for i, c in enumerate(cols):
        c.setdefault("sortable", True)
        c.setdefault("wrap", False)
        c["index"] = i
    rows = []
    for _, r in m.sort_values("province_code").iterrows():
        code = int(r["province_code"])
        exists = {lg: (prov_dir / f"{code}_{lg}.html").exists() for lg in ("zh", "en")}
        links = " · ".join(f'<a href="provinces/{code}_{lg}.html">{"中文" if lg == "zh" else "English"}</a>'
                           for lg in ("zh", "en") if exists[lg])
        for lg in ("zh", "en"):
            st = (status or {}).get(f"{code}_{lg}", {})
            if not exists[lg] and st.get("status") in ("failed", "timeout", "not run"):
                word = _bi(f"{'中文' if lg == 'zh' else '英文'}报告生成失败",
                           f"{'Chinese' if lg == 'zh' else 'English'} report failed")
                links += f'<div class="failed">{word}: <span class="why">{html.escape(str(st.get("error", ""))[:200])}</span></div>'
        names = {lg: html.escape(str(r[f"name_{lg}"])) for lg in ("zh", "en")}
        name = {lg: Markup(f'<a href="provinces/{code}_{lg}.html">{names[lg]}</a>' if exists[lg] else names[lg])
                for lg in ("zh", "en")}
        cells = [_cell(code), _cell(str(r["name_en"]), cls="name", zh=name["zh"], en=name["en"],
                                    extra=f'<span class="links">{links}</span>'),
                 _cell(r["region"], zh=L.region(r["region"], "zh"), en=L.region(r["region"], "en"))]
        if "gdp" in has:
            cells += [_cell(r.get("gdp"), num(r.get("gdp"), "amount"), "num"),
                      _cell(r.get("gdp_per_capita"), num(r.get("gdp_per_capita"), "amount"), "num"),
                      _cell(r.get("rd_intensity"), num(r.get("rd_intensity"), "share"), "num")]
        if "D" in has:
            d = r.get("D")
            mark = "†" if _filled(r) else ""
            cells += [_ranked_cell(r, "D", mark)]
            if "linkage" in has:
                cells += [_ranked_cell(r, "linkage", mark)]
            cells += [_cell(d, zh=L.d_class(r.get("D_level"), "zh", d), en=L.d_class(r.get("D_level"), "en", d)),
                      _model_cell(L, r)]
        if path_col in has:
            w = r.get(path_col)
            ws = [x for x in str(w).split(";") if x] if isinstance(w, str) else []
            if not ws and path_col == "obstacle_pathways" and isinstance(w, str):
                cells += [_cell("~", zh=i18n.t("none_stands_out", "zh"), en=i18n.t("none_stands_out", "en"))]
            else:
                cells += [_cell(w if ws else None, zh="；".join(L.pathway(x, "zh") for x in ws),
                                en="; ".join(L.pathway(x, "en") for x in ws))]
        rows.append(cells)
    return cols, rows


def _asset(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


def write_index(out_root: Path, data_dir: Path | None, year_end: int, font_css: str = "",
                status: dict[str, dict[str, Any]] | None = None) -> Path:
    """Write ``reports/index.html`` (and the typology pages it links); returns the index's path.

    Only reports that exist on disk are linked; a report whose latest run failed (``status``:
    :func:`analysis.reporting.batch.latest_status`) is marked "failed" with the reason.
    """
    import jinja2

    from analysis.reporting import context, figures, inputs, maps
    from analysis.reporting.fonts import configure_cjk_font

    configure_cjk_font()  # the map's words (no seaborn theme needed for a map)
    out_root = Path(out_root)
    inp = inputs.load_inputs(data_dir)
    m = context.index_metrics(inp, year_end)
    write_typology_pages(out_root, inp, typology_year(out_root) or _mode_year(m, "D_year"), font_css)
    map_ctx = None
    shapes = inp.shapes()
    if shapes is not None:
        vals = m.set_index("province_code")["D"] if "D" in m.columns else None
        dy = _mode_year(m, "D_year")
        caption = ({"zh": f"各省份科技创新与产业创新耦合协调度 D（{dy} 年）",
                    "en": f"Coupling coordination degree D by province, {dy}"} if vals is not None
                   else {"zh": "31 个省份", "en": "The 31 provinces"})
        alt = {"zh": caption["zh"] + "。中国地图，各省份按 D 着色；香港、澳门、台湾为灰色（无数据）；右下角为南海诸岛附图，含海上国界线。",
               "en": caption["en"] + ". Map of China, provinces coloured by D; Hong Kong, Macao and Taiwan grey "
                     "(no data); South China Sea islands and the maritime boundary line in an inset."}
        images = []
        for lg in ("zh", "en"):
            fig = maps.draw_map(shapes, vals, width=8.0, legend_label=f"D ({dy})" if dy else "D", lang=lg,
                                text_scale=1.4)
            w, h = fig.get_size_inches()
            images.append((lg, figures.png_data_uri(fig, dpi=100), alt[lg]))
        map_ctx = {"images": images, "caption": caption, "width": int(w * 100), "height": int(h * 100)}
    cols, rows = index_rows(inp, m, out_root / "provinces", status)
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(HERE / "templates")), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    body = env.get_template("index.html.j2").render(
        title={lg: i18n.t("index_title", lg) for lg in ("zh", "en")},
        hint={lg: i18n.t("index_hint", lg) for lg in ("zh", "en")},
        map=map_ctx, caption=index_caption(m, typology_year(out_root)), columns=cols, rows=rows,
        links=index_links(out_root), zip=zip)
    nav = '<button id="lang" type="button"><span data-l="zh">English</span><span data-l="en">中文</span></button>'
    doc = page(body, "省级报告 · Provincial reports", "zh", nav=[], nav_extra=nav, wide=True,
               extra_css=_asset("index.css"), font_css=font_css, script=_asset("index.js"))
    out = out_root / "index.html"
    paths.atomic_write_bytes(out, doc.encode("utf-8"))
    return out


def write_typology_pages(out_root: Path, inp, year: int | None, font_css: str = "") -> list[Path]:
    """``reports/typology_<year>_{zh,en}.html``: each province's model (and how sure),
    D and the linkage index with their ranks and rank intervals, class, lagging subsystem and the
    pathways furthest from the best-observed values (obstacle intensity), with
    labels in the page's language. Nothing is written without ``integration.parquet``."""
    from analysis.reporting import context

    it = inp.integration
    if it is None or year is None or "model" not in it.columns or not (it["year"] == year).any():
        return []
    t = it[it["year"] == year].merge(inp.provinces[["province_code", "name_zh", "name_en"]], on="province_code")
    t = t.sort_values("province_code")
    L = inp.labels
    out = []
    for lang in ("zh", "en"):
        has_link = "linkage" in t.columns
        pcol = "obstacle_pathways" if "obstacle_pathways" in t.columns else "weakest_pathways"
        head = {"zh": ["省份", "区域", "主导模式", "模式置信度", "耦合协调度 D", "D 排名（90% 区间）",
                       *(["联系指数", "联系指数排名（90% 区间）"] if has_link else []), "协调等级", "滞后子系统",
                       "按权重计离最优观测值最远的两条路径" if pcol == "obstacle_pathways" else "得分最低的两条路径（相对）"],
                "en": ["Province", "Region", "Dominant model", "Model confidence", "D", "D rank (90% interval)",
                       *(["Linkage index", "Linkage rank (90% interval)"] if has_link else []), "Class",
                       "Lagging subsystem", "Two pathways furthest from the best values, weight for weight"
                       if pcol == "obstacle_pathways" else "Two lowest-scoring pathways (relative)"]}[lang]
        numeric = {3, 4, 5, 6, 7} if has_link else {3, 4, 5}  # (the codes are in the framework's CSV)

        def rank(r, key):
            if not {f"{key}_rank", f"{key}_rank_lo", f"{key}_rank_hi"} <= set(t.columns):
                return "—"
            return (f"{num(r[f'{key}_rank'], 'count')} ({num(r[f'{key}_rank_lo'], 'count')}–"
                    f"{num(r[f'{key}_rank_hi'], 'count')})")

        rows = []
        for _, r in t.iterrows():
            conf = r.get("model_confidence", r.get("model_stability"))
            mark = "†" if _filled(r) else ""
            ws = (context.named_pathways(r) if pcol == "obstacle_pathways" else
                  [x for x in str(r.get(pcol, "")).split(";") if x and x != "nan"])
            rows.append([str(r[f"name_{lang}"]), L.region(r["region"], lang),
                         model_words(L, r, lang, short=True), num(conf, "level"), num(r["D"], "score") + mark,
                         rank(r, "D"),
                         *([num(r["linkage"], "score") + mark, rank(r, "linkage")] if has_link else []),
                         L.d_class(r.get("D_level"), lang, r["D"]), L.lagging(r.get("lagging"), lang),
                         ("；" if lang == "zh" else "; ").join(L.pathway(x, lang) for x in ws)
                         or (i18n.t("none_stands_out", lang) if pcol == "obstacle_pathways" else "")])
        cells = "".join("<tr>" + "".join(f'<td{" class=num" if j in numeric else ""}{" class=model" if j == 2 else ""} '
                                         f'data-label="{html.escape(head[j])}">'
                                         f"{html.escape(v)}</td>" for j, v in enumerate(r)) + "</tr>" for r in rows)
        # headers wrap (long English ones would otherwise push the table past its box at 1280 px)
        th = "".join(f'<th{" class=num" if j in numeric else ""} style="white-space:normal">{html.escape(h)}</th>'
                     for j, h in enumerate(head))
        title = f"融合模式类型表（{year} 年）" if lang == "zh" else f"Integration typology, {year}"
        intro = ("主导模式为在各种权重、标准化与指标设定下最常领先的支柱；模式置信度为该支柱领先的设定比例（低于 0.8 时标为“倾向”）；"
                 "“多模式”指没有一个支柱在至少三分之二的设定中领先，括号内为在至少四分之一的设定中领先的支柱。"
                 "联系指数衡量科技体系与产业之间的流动，不计入 D。排名 1 为最高，括号内为各设定下排名的 90% 区间。"
                 "路径列为按权重计离最优观测值最远的两条路径（障碍强度），是相对位置，不表示投入回报。"
                 "† 该年的得分使用了按融合框架缺失值规则填补的数值（见各省报告）。"
                 if lang == "zh" else
                 "The dominant model is the pillar that leads most often across weighting, normalisation and indicator "
                 "choices; model confidence is the share of those specifications in which it leads (below 0.8 it is "
                 "marked as a tendency); “multi” means that no pillar leads in at least two thirds of them (in "
                 "brackets: the pillars leading in at least a quarter). The linkage index measures the flows between "
                 "the science system and industry and is not part of D. Rank 1 = highest; the interval is the 90% "
                 "range of the rank over the specifications. The pathway column names the two pathways whose "
                 "indicators are, weight for weight, furthest from the best-observed values (obstacle intensity): a "
                 "relative position, not a return on effort. † Scores computed with values filled by the "
                 "framework's missing-value rule (see each province's report).")
        body = (f"<h1>{html.escape(title)}</h1><p>{html.escape(intro)}</p><div class=\"table-wrap\">"
                f'<table class="report-table cards" style="font-size:.88rem"><thead><tr>{th}</tr></thead><tbody>{cells}</tbody></table></div>')
        other = "en" if lang == "zh" else "zh"
        path = Path(out_root) / f"typology_{year}_{lang}.html"
        paths.atomic_write_bytes(path, page(body, title, lang, index_href="index.html",
                                            other_lang_href=f"typology_{year}_{other}.html", wide=True,
                                            font_css=font_css).encode("utf-8"))
        out.append(path)
    return out
