"""Regression tables from :class:`~analysis.models.results.ModelResult` objects (esttab / etable).

Several results side by side: coefficients with significance stars, standard errors in
parentheses underneath, then rows for observations, within R², fixed effects (Yes/No) and the
clustering variable, and any family-specific statistics stored in ``result.extra``. Rendered to
Markdown, HTML, LaTeX (booktabs) and CSV; labels in Chinese or English come from a mapping
(the codebook's ``label_zh`` / ``label_en``), never typed into the table.

Conventions (as in Stata ``esttab ..., se star(* 0.10 ** 0.05 *** 0.01)`` and R
``fixest::etable``): stars from the two-sided p-values of each result (t(dof) or normal), the
thresholds stated in the footer; numbers rounded half-to-even by Python's formatting.
The renderer is ours because pyfixest's ``etable`` and ``maketables`` take fitted pyfixest /
statsmodels objects, while every model family here returns a ``ModelResult``.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from analysis.models.results import ModelResult

LANG = Literal["en", "zh"]

#: Words the table itself uses, in both languages.
TERMS: dict[str, dict[str, str]] = {
    "en": {
        "nobs": "Observations", "r2_within": "Within R²", "r2": "R²", "n_groups": "Groups",
        "cluster": "Clustered SE", "fe": "{} FE", "yes": "Yes", "no": "No", "none": "—",
        "depvar": "Dependent variable", "se_note": "Standard errors in parentheses.",
        "stars": "{} p<{}",
        "wild_note": ("Wild cluster bootstrap p-values in brackets ({}; Roodman et al. 2019, "
                      "Stata boottest)."),
        "wild_only_note": ("{}: fewer than 10 clusters, so no cluster-robust standard error is "
                           "shown; the bracket is the wild cluster bootstrap p-value ({}) and "
                           "the stars come from it."),
    },
    "zh": {
        "nobs": "观测值", "r2_within": "组内R²", "r2": "R²", "n_groups": "组数",
        "cluster": "聚类标准误", "fe": "{}固定效应", "yes": "是", "no": "否", "none": "—",
        "depvar": "被解释变量", "se_note": "括号内为标准误。",
        "stars": "{} p<{}",
        "wild_note": "方括号内为野聚类自助法p值（{}；Roodman等2019，Stata boottest命令）。",
        "wild_only_note": ("{}：聚类数少于10，不报告聚类稳健标准误；方括号内为野聚类自助法p值（{}），"
                           "显著性星号据此标注。"),
    },
}

#: Default labels of the panel keys (the codebook covers the other variables).
KEY_LABELS: dict[str, dict[str, str]] = {
    "en": {"province_code": "Province", "year": "Year", "region": "Region"},
    "zh": {"province_code": "省份", "year": "年份", "region": "地区"},
}


def labels_from_codebook(codebook: pd.DataFrame, lang: LANG = "en") -> dict[str, str]:
    """Mapping ``name -> label`` from a codebook table (columns ``variable`` (or ``name``),
    ``label_zh``, ``label_en``; ``data/processed/codebook.csv``)."""
    col = f"label_{lang}"
    key = "variable" if "variable" in codebook.columns else "name"
    if key not in codebook.columns or col not in codebook.columns:
        raise ValueError(f"codebook needs columns 'variable' (or 'name') and {col!r}, has "
                         f"{list(codebook.columns)}")
    cb = codebook.dropna(subset=[col])
    return dict(zip(cb[key], cb[col], strict=True))


def _is_pvalue_key(key: str) -> bool:
    """Whether an ``extra`` key names a p-value (shown with decimals even when 0 or 1)."""
    k = str(key).lower()
    return k.endswith(("_p", " p", "pvalue", "p_value", "p-value")) or k in ("p", "prob")


def stars_for(p: float, levels: Sequence[float] = (0.10, 0.05, 0.01)) -> str:
    """``*`` for each threshold in ``levels`` that ``p`` is below (strictly)."""
    if p is None or not math.isfinite(p):
        return ""
    return "*" * sum(p < lv for lv in levels)


@dataclass
class RegressionTable:
    """A rendered table: ``body`` (one row per line, strings) and rendering methods.

    Attributes
    ----------
    body : DataFrame
        Index: row labels; columns: model names. Coefficient rows alternate with their
        standard-error rows (label ``""``); then the footer rows.
    header : list of str
        Dependent-variable label of each column.
    n_coef_rows : int
        Number of body rows that belong to coefficients (2 per regressor).
    notes : list of str
        Footer notes (stars, standard errors, user notes).
    title : str
    """

    body: pd.DataFrame
    header: list[str]
    n_coef_rows: int
    notes: list[str] = field(default_factory=list)
    title: str = ""
    depvar_label: str = "Dependent variable"
    lang: str = "en"

    # -- renderers -------------------------------------------------------------------------
    def to_markdown(self) -> str:
        cols = [""] + list(self.body.columns)
        lines = []
        if self.title:
            lines += [f"**{self.title}**", ""]
        lines.append("| " + " | ".join(cols) + " |")
        lines.append("|" + "|".join(["---"] + [":-:"] * (len(cols) - 1)) + "|")
        lines.append("| " + " | ".join([self.depvar_label] + self.header) + " |")
        for i, (lab, row) in enumerate(self.body.iterrows()):
            if i == self.n_coef_rows and i > 0:
                lines.append("| " + " | ".join([""] * len(cols)) + " |")
            lines.append("| " + " | ".join([str(lab)] + [str(v) for v in row]) + " |")
        if self.notes:
            lines += ["", " ".join(self.notes)]
        return "\n".join(lines) + "\n"

    def to_html(self) -> str:
        e = html.escape
        out = ['<table class="regtable">']
        if self.title:
            out.append(f"<caption>{e(self.title)}</caption>")
        out.append("<thead><tr><th></th>" + "".join(f"<th>{e(str(c))}</th>" for c in self.body.columns)
                   + "</tr>")
        out.append(f"<tr><th>{e(self.depvar_label)}</th>" + "".join(f"<th>{e(h)}</th>" for h in self.header)
                   + "</tr></thead><tbody>")
        for i, (lab, row) in enumerate(self.body.iterrows()):
            cls = ' class="se"' if (i < self.n_coef_rows and i % 2 == 1) else ""
            if i == self.n_coef_rows:
                cls = ' class="footer-start"'
            out.append(f"<tr{cls}><th>{e(str(lab))}</th>" + "".join(f"<td>{e(str(v))}</td>" for v in row)
                       + "</tr>")
        out.append("</tbody>")
        if self.notes:
            out.append(f'<tfoot><tr><td colspan="{len(self.body.columns) + 1}">'
                       f"{e(' '.join(self.notes))}</td></tr></tfoot>")
        out.append("</table>")
        return "\n".join(out) + "\n"

    def to_latex(self) -> str:
        """Booktabs table in the project's one LaTeX style (:func:`latex_table`): the dependent
        variable as a second header row, a rule before the footer rows, the notes below."""
        header = [["", *[str(c) for c in self.body.columns]], [self.depvar_label, *self.header]]
        rows = [[str(lab), *[str(v) for v in row]] for lab, row in self.body.iterrows()]
        return latex_table(header, rows, caption=self.title, notes=" ".join(self.notes),
                           rules_before=[self.n_coef_rows] if 0 < self.n_coef_rows < len(rows) else [])

    def to_csv(self) -> str:
        df = self.body.copy()
        df.index.name = ""
        top = pd.DataFrame([self.header], columns=df.columns, index=[self.depvar_label])
        return pd.concat([top, df]).to_csv()

    def to_html_page(self, name: str = "") -> str:
        """The table as a full page in the reports' style (:func:`analysis.htmlpage.page`): title,
        table, notes, a link back to ``../index.html`` and, given the file stem's ``name``
        (``baseline``), to ``<name>_<other language>.html``; the wide layout (five-column tables
        and their notes fit at 1280 px; wider ones scroll inside their box)."""
        from analysis.htmlpage import page

        other = "en" if self.lang == "zh" else "zh"
        title = self.title or TABLE_TITLES.get(name, {}).get(self.lang, name)
        body = (f"<h1>{html.escape(title)}</h1>" if title else "") + f'<div class="table-wrap">{self.to_html()}</div>'
        return page(body, title or "table", self.lang, index_href="../index.html",
                    other_lang_href=f"{name}_{other}.html" if name else None, wide=True)

    def render(self, fmt: Literal["md", "html", "tex", "csv"], name: str = "") -> str:
        """Render to one format by its file extension (``html``: a full page, :meth:`to_html_page`)."""
        try:
            fn = {"md": self.to_markdown, "html": lambda: self.to_html_page(name), "tex": self.to_latex,
                  "csv": self.to_csv}[fmt]
        except KeyError:
            raise ValueError(f"format must be md, html, tex or csv, got {fmt!r}") from None
        return fn()


_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                  "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
                  "^": r"\textasciicircum{}", "²": r"$^2$", "×": r"$\times$",
                  # math symbols that pdflatex cannot typeset from UTF-8 text, and < > which
                  # print as ¡ ¿ in the default OT1 font encoding
                  "<": r"$<$", ">": r"$>$", "≤": r"$\leq$", "≥": r"$\geq$", "−": r"$-$",
                  "→": r"$\rightarrow$", "·": r"$\cdot$", "ρ": r"$\rho$", "β": r"$\beta$",
                  "θ": r"$\theta$", "λ": r"$\lambda$", "γ": r"$\gamma$", "–": "--", "—": "---",
                  "√": r"$\surd$", "≈": r"$\approx$", "±": r"$\pm$", "₁": r"$_1$", "₂": r"$_2$",
                  "Φ": r"$\Phi$", "⁻": r"$^{-}$", "¹": r"$^{1}$", "σ": r"$\sigma$", "χ": r"$\chi$",
                  "…": r"\ldots{}"}


def latex_escape(s: str) -> str:
    """Escape LaTeX special characters and map math symbols (≤, −, ρ, …) to math mode, so the
    English tables compile with pdflatex; Chinese text needs ``ctex``/xeCJK in the document."""
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in s)


#: Titles of the paper tables written by ``python -m analysis models``
#: (``reports/paper/<name>_<lang>.*``), used for their pages and the index's links.
TABLE_TITLES: dict[str, dict[str, str]] = {
    "baseline": {"zh": "基准回归（双向固定效应）", "en": "Baseline two-way FE"},
    "threshold": {"zh": "门槛回归", "en": "Threshold regression"},
    "spatial_sdm": {"zh": "空间杜宾模型", "en": "Spatial Durbin model"},
    "spatial_effects": {"zh": "空间效应分解", "en": "Spatial effects"},
    "gmm": {"zh": "动态面板 GMM", "en": "Dynamic panel GMM"},
    "heterogeneity": {"zh": "区域异质性", "en": "Regional heterogeneity"},
    "mediation": {"zh": "中介效应", "en": "Mediation"},
    "moderation": {"zh": "调节效应", "en": "Moderation"},
    "robustness": {"zh": "稳健性检验", "en": "Robustness"},
}

#: Preambles for the ``.tex`` tables: English ones compile with pdflatex, Chinese ones with
#: XeLaTeX and ctex (``xelatex paper.tex``; ctex picks the Fandol fonts of TeX Live, or set
#: ``\setCJKmainfont{Noto Serif CJK SC}``). Documented in ``docs/reports.md``.
LATEX_PREAMBLE: dict[str, str] = {
    "en": "\\documentclass{article}\n\\usepackage[T1]{fontenc}\n\\usepackage{booktabs}\n",
    "zh": ("% compile with xelatex\n\\documentclass{article}\n\\usepackage[UTF8]{ctex}\n"
           "\\usepackage{booktabs}\n"),
}


def latex_table(header: Sequence[Sequence[str]], rows: Sequence[Sequence[str]], *, caption: str = "",
                label: str = "", notes: str = "", rules_before: Sequence[int] = (),
                align: str | None = None) -> str:
    """The project's one LaTeX table style: booktabs rules, first column left and every other
    column right-aligned (numbers), caption above, notes below in small type.

    Parameters
    ----------
    header : sequence of rows
        Header rows (cells are plain text: escaped here).
    rows : sequence of rows
        Body rows (escaped here).
    caption, label, notes : str
        ``\\caption``, ``\\label`` and the note under the table (escaped, except ``label``).
    rules_before : sequence of int
        Body row positions that get a ``\\midrule`` above them (e.g. the footer rows).
    align : str, optional
        Column alignment, default ``l`` then ``r`` for every other column.

    Returns
    -------
    str
        A ``table`` float; for Chinese text use the ``zh`` :data:`LATEX_PREAMBLE` (XeLaTeX + ctex).
    """
    k = max(len(r) for r in [*header, *rows])
    align = align or "l" + "r" * (k - 1)
    e = latex_escape
    out = ["\\begin{table}[htbp]", "\\centering"]
    if caption:
        out.append(f"\\caption{{{e(caption)}}}")
    if label:
        out.append(f"\\label{{{label}}}")
    out += [f"\\begin{{tabular}}{{{align}}}", "\\toprule"]
    out += [" & ".join(e(str(c)) for c in r) + " \\\\" for r in header]
    out.append("\\midrule")
    for i, r in enumerate(rows):
        if i in set(rules_before):
            out.append("\\midrule")
        out.append(" & ".join(e(str(c)) for c in r) + " \\\\")
    out += ["\\bottomrule", "\\end{tabular}"]
    if notes:
        out += ["\\par\\smallskip", f"\\parbox{{\\linewidth}}{{\\footnotesize {e(notes)}}}"]
    out.append("\\end{table}")
    return "\n".join(out) + "\n"


_ARROW = re.compile(r"\s*[→⟶➝⇒]\s*")


def plain_english(text: str) -> str:
    """English table text without arrows (``X→Y`` reads ``X to Y``): English tables must print
    with any font and encoding."""
    return _ARROW.sub(" to ", str(text))


def regression_table(
    results: Sequence[ModelResult] | Mapping[str, ModelResult],
    *,
    labels: Mapping[str, str] | None = None,
    lang: LANG = "en",
    keep: Sequence[str] | None = None,
    drop: Sequence[str] = (),
    digits: int = 3,
    stars: Sequence[float] = (0.10, 0.05, 0.01),
    stats: Sequence[str] = ("nobs", "r2_within"),
    extra: Sequence[str] = (),
    show_fe: bool = True,
    show_cluster: bool = True,
    title: str = "",
    notes: Sequence[str] = (),
) -> RegressionTable:
    """Side-by-side regression table.

    Parameters
    ----------
    results : sequence or mapping of ModelResult
        One column each; a mapping's keys become column titles, otherwise ``(1)``, ``(2)``, ….
    labels : mapping, optional
        Variable name → label (``labels_from_codebook``). Unlabelled names are shown as is.
    lang : {"en", "zh"}
        Language of the table's own words (Observations / 观测值 …).
    keep, drop : sequence of str
        Regressors to show (in this order) / to hide. Default: every regressor, in order of
        first appearance.
    digits : int
        Decimals of coefficients and standard errors.
    stars : sequence of float
        p-value thresholds, one star each (default 0.10, 0.05, 0.01); any order (sorted
        loosest first for the footer).
    stats : sequence of str
        Footer statistics among ``nobs``, ``r2_within``, ``r2``, ``n_groups``.
    extra : sequence of str
        Keys of ``result.extra`` to show as footer rows (label from ``labels``). Integral
        values are shown without decimals (counts), except p-values (keys ending in ``_p``,
        `` p`` or ``p_value``), so a Hansen p of exactly 1 reads ``1.000``.
    show_fe, show_cluster : bool
        Rows "<var> FE: Yes/No" for every fixed effect used by any column, and the cluster row.

    Returns
    -------
    RegressionTable

    Raises
    ------
    ValueError
        No results, an unknown statistic, or a ``keep`` name found in no result.
    """
    if isinstance(results, Mapping):
        names = [str(k) for k in results]
        res = list(results.values())
    else:
        res = list(results)
        names = [f"({i + 1})" for i in range(len(res))]
    if not res:
        raise ValueError("no results to tabulate")
    for r in res:
        if not isinstance(r, ModelResult):
            raise TypeError(f"expected ModelResult, got {type(r).__name__}")
    if lang not in TERMS:
        raise ValueError(f"lang must be 'en' or 'zh', got {lang!r}")
    words = TERMS[lang]
    # the panel keys read as fixed effects and clusters ("Province FE"), whatever the codebook's
    # label of the column ("Province code (GB/T 2260)")
    lab = {**(labels or {}), **KEY_LABELS[lang]}
    # one star per threshold passed, the loosest first, so the footer matches the cells
    stars = sorted((float(v) for v in stars), reverse=True)

    def L(name: str) -> str:
        out = str(lab.get(name, name))
        return plain_english(out) if lang == "en" else out

    allterms: list[str] = []
    for r in res:
        for t in r.params.index:
            if t not in allterms:
                allterms.append(str(t))
    if keep is not None:
        unknown = [t for t in keep if t not in allterms]
        if unknown:
            raise ValueError(f"keep names {unknown} are in no result; terms: {allterms}")
        terms = list(keep)
    else:
        terms = allterms
    terms = [t for t in terms if t not in set(drop)]

    fmt = f"{{:.{digits}f}}"
    rows: list[tuple[str, list[str]]] = []
    for t in terms:
        coef_cells, se_cells = [], []
        for r in res:
            if t in r.params.index:
                wb = r.wild.get(t)
                p = float(wb.p_value) if (r.wild_only and wb is not None) else float(r.pvalues[t])
                coef_cells.append(fmt.format(float(r.params[t])) + stars_for(p, stars))
                if r.wild_only:  # too few clusters: bootstrap p-value only
                    se_cells.append(f"[{wb.p_value:.{digits}f}]" if wb is not None else "")
                else:
                    se_cells.append("(" + fmt.format(float(r.std_errors[t])) + ")"
                                    + (f" [{wb.p_value:.{digits}f}]" if wb is not None else ""))
            else:
                coef_cells.append("")
                se_cells.append("")
        rows.append((L(t), coef_cells))
        rows.append(("", se_cells))
    n_coef = len(rows)

    for s in stats:
        if s not in ("nobs", "r2_within", "r2", "n_groups"):
            raise ValueError(f"unknown statistic {s!r}; use nobs, r2_within, r2, n_groups")
        cells = []
        for r in res:
            v = getattr(r, s)
            if v is None or (isinstance(v, float) and not math.isfinite(v)):
                cells.append("")
            elif s in ("nobs", "n_groups"):
                cells.append(f"{int(v):,}" if lang == "en" else str(int(v)))
            else:
                cells.append(fmt.format(float(v)))
        rows.append((words[s], cells))
    for key in extra:
        cells = []
        for r in res:
            v = r.extra.get(key, "")
            if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
                cells.append(str(v))
            elif not math.isfinite(float(v)):
                cells.append("")  # never "nan" in a table
            elif float(v).is_integer() and abs(v) < 1e15 and not _is_pvalue_key(key):
                cells.append(str(int(v)))  # counts (instruments, df) without decimals
            else:
                cells.append(fmt.format(float(v)))
        rows.append((L(key), cells))
    if show_fe:
        fes: list[str] = []
        for r in res:
            for f in r.fixed_effects:
                if f not in fes:
                    fes.append(f)
        for f in fes:
            rows.append((words["fe"].format(L(f)),
                         [words["yes"] if f in r.fixed_effects else words["no"] for r in res]))
    if show_cluster and any(r.cluster for r in res):
        rows.append((words["cluster"], [L(r.cluster) if r.cluster else words["none"] for r in res]))

    body = pd.DataFrame([c for _, c in rows], index=[lbl for lbl, _ in rows], columns=names)
    star_note = ", ".join(words["stars"].format("*" * (i + 1), f"{lv:g}")
                          for i, lv in enumerate(stars))
    wild_notes = []
    semi, colon = ("; ", ": ") if lang == "en" else ("；", "：")

    def methods_of(r: ModelResult) -> list[str]:
        return list(dict.fromkeys(wb.method_text(lang) for wb in r.wild.values()))

    by_col = [(name, methods_of(r)) for name, r in zip(names, res, strict=True)
              if r.wild and not r.wild_only]
    distinct = list(dict.fromkeys(m for _, ms in by_col for m in ms))
    if len(distinct) == 1:
        wild_notes.append(words["wild_note"].format(distinct[0]))
    elif distinct:  # columns differ (e.g. 2^G sign vectors enumerated): say which is which
        wild_notes.append(words["wild_note"].format(semi.join(
            f"{name}{colon}{semi.join(ms)}" for name, ms in by_col)))
    for name, r in zip(names, res, strict=True):
        if r.wild_only:
            m = semi.join(methods_of(r))
            wild_notes.append(words["wild_only_note"].format(f"{name} (G = {r.n_clusters})", m))
    clean = plain_english if lang == "en" else str
    return RegressionTable(
        body=body,
        header=[L(r.depvar) for r in res],
        n_coef_rows=n_coef,
        notes=[words["se_note"], star_note + ("." if lang == "en" else "。"),
               *(clean(n) for n in [*wild_notes, *notes])],
        title=clean(title),
        depvar_label=words["depvar"],
        lang=lang,
    )
