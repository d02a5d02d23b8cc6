"""The indicator specification of the integration framework: load, validate, evaluate.

The framework (Qi & Luo 2026) is defined by one readable file, ``analysis/framework/spec.yaml``:
every indicator's name, labels, formula from panel columns, direction, unit, subsystem
(``st`` | ``ind`` | ``none``), model pillar (``chain`` | ``platform`` | ``demand`` | ``future`` |
``none``), pathway (``enterprise`` | ``core_tech`` | ``pilot_platform`` | ``scenario_cluster`` |
``institution_finance``) and literature references. Users change the framework by editing that
file; :func:`load_spec` rejects a malformed entry with a message naming it.

Formulas are a deliberately tiny expression language: column names, numbers, ``+ - * /`` (the
typographic ``× ÷ −`` are accepted too), unary minus and parentheses. They are parsed with
:mod:`ast` and every node is checked against a whitelist; nothing is ever passed to ``eval``.
"""

from __future__ import annotations

import ast
import difflib
import operator
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from analysis.measures.io import CHAIN_COLUMNS as _IO_CHAIN_COLUMNS

__all__ = [
    "SUBSYSTEMS",
    "PILLARS",
    "PATHWAYS",
    "PANEL_COLUMNS",
    "CHAIN_COLUMNS",
    "DEFAULT_SPEC_PATH",
    "SpecError",
    "Indicator",
    "Spec",
    "parse_formula",
    "formula_columns",
    "evaluate_formula",
    "load_spec",
    "validate_spec",
    "user_columns",
]

SUBSYSTEMS: tuple[str, ...] = ("st", "ind")
PILLARS: tuple[str, ...] = ("chain", "platform", "demand", "future")
PATHWAYS: tuple[str, ...] = (
    "enterprise",
    "core_tech",
    "pilot_platform",
    "scenario_cluster",
    "institution_finance",
)

#: Columns of ``data/processed/panel.parquet`` (docs/CONTRACTS.md).
PANEL_COLUMNS: frozenset[str] = frozenset(
    """
    rd_exp rd_intensity rd_fte rd_exp_government rd_exp_enterprise rd_exp_basic rd_exp_applied
    rd_exp_experimental basic_share patent_app patent_app_invention patent_grant
    patent_grant_invention tech_market_seller tech_market_buyer hightech_firms hightech_revenue
    hightech_new_product_sales hightech_rd_exp ind_new_product_sales ind_rd_exp budget_exp
    fiscal_st_exp hightech_enterprises gdp va_primary va_secondary va_tertiary emp_total
    emp_primary emp_secondary emp_tertiary population urbanisation gdp_index gdp_deflator gdp_real
    cpi fai_price_index digital_finance software_revenue ecommerce_sales trade students road_length
    hightech_enterprises_stock firms_with_rd firms_with_rd_institution ind_rd_ext ind_rd_ext_inst
    ind_rd_ext_univ ind_rd_projects ind_rd_project_fte ind_rd_project_exp ind_rd_institutions
    ind_rd_institution_staff ind_rd_institution_exp ind_patent_app ind_patent_app_invention
    ind_valid_invention_patents ind_tech_import ind_tech_assimilation ind_tech_purchase_domestic
    ind_tech_renovation incubators incubator_resident_firms incubatees incubatee_employees
    incubatee_investment maker_spaces maker_space_served maker_space_subsidy
    maker_space_funded_teams maker_space_investment maker_space_employment valid_patents
    valid_invention_patents valid_utility_patents valid_design_patents papers_sci papers_ei
    papers_cpci hightech_export_usd hightech_import_usd
    """.split()
)

#: Chain-linkage indicators of ``data/processed/chain_linkage_panel.parquet`` (IO layer,
#: ``analysis.measures.io.CHAIN_COLUMNS``, without its bookkeeping columns).
CHAIN_COLUMNS: frozenset[str] = frozenset(_IO_CHAIN_COLUMNS) - {
    "rpc_basis", "n_inactive_sectors", "n_negative_flows", "n_rpc_capped"}

DEFAULT_SPEC_PATH = Path(__file__).with_name("spec.yaml")

#: Column names of ``integration.parquet`` an indicator name may not take (they would collide in
#: the output tables and the codebook). Upper-case outputs (``U_st``, ``D`` …) cannot collide:
#: indicator names are lower-case.
RESERVED_NAMES: frozenset[str] = frozenset(
    ["province_code", "year", "region", "lagging", "model", "model_cluster", "weakest_pathways",
     "n_filled", "filled"]
    + [f"{prefix}_{p}" for prefix in ("pillar", "z", "share", "obstacle") for p in PILLARS]
    + [f"{prefix}_{p}" for prefix in ("pathway", "obstacle") for p in PATHWAYS]
    + ["model_confidence", "model_year", "model_year_confidence", "model_stability",
       "obstacle_st", "obstacle_ind", "obstacle_pathways", "distance_ideal", "linkage"]
)

_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_TYPOGRAPHIC = str.maketrans({"×": "*", "÷": "/", "−": "-", "（": "(", "）": ")"})
_BINOPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}
_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos}


class SpecError(ValueError):
    """A specification entry is malformed; the message names every bad entry and what is wrong."""

    def __init__(self, problems: list[str], source: object = None):
        self.problems = list(problems)
        where = f" in {source}" if source is not None else ""
        head = f"invalid framework specification{where} ({len(problems)} problem(s)):"
        super().__init__("\n".join([head, *(f"  - {p}" for p in problems)]))


# ----------------------------------------------------------------------------- formulas


def parse_formula(formula: str) -> ast.Expression:
    """Parse a formula and check it uses only the whitelisted nodes.

    Parameters
    ----------
    formula : str
        E.g. ``"rd_fte / population * 10000"``. Allowed: column names, int/float literals,
        binary ``+ - * /`` (also ``× ÷ −``), unary ``+ -`` and parentheses.

    Returns
    -------
    ast.Expression

    Raises
    ------
    ValueError
        On a syntax error or any node outside the whitelist (calls, attributes, subscripts,
        ``**``, comparisons, strings …), a division by a literal zero, or a formula that uses
        no column; the message says which construct was found.
    """
    if not isinstance(formula, str) or not formula.strip():
        raise ValueError("formula is empty")
    text = formula.translate(_TYPOGRAPHIC)
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"syntax error in formula {formula!r}: {exc.msg}") from None
    for node in ast.walk(tree):
        if isinstance(node, ast.Expression | ast.Load):
            continue
        if isinstance(node, ast.BinOp):
            if type(node.op) not in _BINOPS:
                raise ValueError(
                    f"operator {type(node.op).__name__} not allowed in formula {formula!r} "
                    "(only + - * /)"
                )
        elif isinstance(node, ast.UnaryOp):
            if type(node.op) not in _UNARY:
                raise ValueError(f"operator {type(node.op).__name__} not allowed in {formula!r}")
        elif isinstance(node, ast.Name):
            pass
        elif isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, int | float):
                raise ValueError(f"constant {node.value!r} not allowed in {formula!r} (numbers only)")
        elif isinstance(node, ast.operator | ast.unaryop):
            continue
        else:
            raise ValueError(
                f"{type(node).__name__} not allowed in formula {formula!r} "
                "(only column names, numbers, + - * / and parentheses)"
            )
        if (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div)
                and _literal_value(node.right) == 0):
            raise ValueError(f"division by zero in formula {formula!r}")
    if not any(isinstance(node, ast.Name) for node in ast.walk(tree)):
        raise ValueError(f"formula {formula!r} uses no panel column (a constant is no indicator)")
    return tree


def _literal_value(node: ast.AST) -> float | None:
    """The value of a sub-expression made of numbers only (``0``, ``-0``, ``(1 - 1)``), else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float) \
            and not isinstance(node.value, bool):
        return float(node.value)
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        v = _literal_value(node.operand)
        return None if v is None else _UNARY[type(node.op)](v)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        a, b = _literal_value(node.left), _literal_value(node.right)
        if a is None or b is None or (isinstance(node.op, ast.Div) and b == 0):
            return None
        return _BINOPS[type(node.op)](a, b)
    return None


def formula_columns(formula: str) -> list[str]:
    """Column names used by ``formula``, in order of first appearance.

    Raises
    ------
    ValueError
        As :func:`parse_formula`.
    """
    seen: dict[str, None] = {}
    for node in ast.walk(parse_formula(formula)):
        if isinstance(node, ast.Name):
            seen.setdefault(node.id, None)
    return list(seen)


def evaluate_formula(formula: str, data: pd.DataFrame) -> pd.Series:
    """Evaluate a formula on the columns of ``data`` (element-wise, float).

    Parameters
    ----------
    formula : str
        See :func:`parse_formula`.
    data : pandas.DataFrame
        n rows; must contain every column the formula names.

    Returns
    -------
    pandas.Series
        n values aligned with ``data.index``. Division by zero and other non-finite results are
        returned as NaN (never ±inf).

    Raises
    ------
    KeyError
        A column named by the formula is not in ``data``.
    """
    tree = parse_formula(formula)

    def ev(node: ast.AST):
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.BinOp):
            return _BINOPS[type(node.op)](ev(node.left), ev(node.right))
        if isinstance(node, ast.UnaryOp):
            return _UNARY[type(node.op)](ev(node.operand))
        if isinstance(node, ast.Name):
            if node.id not in data.columns:
                raise KeyError(f"formula {formula!r} needs column {node.id!r}, not in the data")
            return pd.to_numeric(data[node.id], errors="coerce").astype("float64")
        if isinstance(node, ast.Constant):
            return float(node.value)
        raise AssertionError(f"unreachable node {type(node).__name__}")  # pragma: no cover

    with np.errstate(divide="ignore", invalid="ignore"):
        out = ev(tree)
    if not isinstance(out, pd.Series):  # a formula made of constants only
        out = pd.Series(float(out), index=data.index)
    out = out.astype("float64")
    return out.where(np.isfinite(out))


# ----------------------------------------------------------------------------- schema


class _Label(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label_zh: str = Field(min_length=1)
    label_en: str = Field(min_length=1)


class Indicator(BaseModel):
    """One indicator of the framework (one entry of ``indicators`` in ``spec.yaml``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    label_zh: str = Field(min_length=1)
    label_en: str = Field(min_length=1)
    formula: str
    direction: Literal["positive", "negative"]
    unit: str = Field(min_length=1)
    subsystem: Literal["st", "ind", "none"]
    pillar: Literal["chain", "platform", "demand", "future", "none"]
    pathway: Literal["enterprise", "core_tech", "pilot_platform", "scenario_cluster", "institution_finance"]
    reference: list[str] = Field(min_length=1)
    linkage: bool = False
    carry_forward: int = Field(default=0, ge=0, le=2)
    note: str = ""

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _NAME_RE.match(v):
            raise ValueError("must be snake_case: a lower-case letter, then letters, digits or _")
        if v in RESERVED_NAMES:
            raise ValueError(f"{v!r} is reserved for an output column of integration.parquet; "
                             "choose another name")
        return v

    @field_validator("formula")
    @classmethod
    def _formula(cls, v: str) -> str:
        parse_formula(v)
        return v

    @property
    def columns(self) -> list[str]:
        """Panel columns the formula uses."""
        return formula_columns(self.formula)

    @property
    def sign(self) -> int:
        """+1 for positive indicators, −1 for negative ones."""
        return 1 if self.direction == "positive" else -1


@dataclass(frozen=True)
class Spec:
    """A validated framework specification.

    Attributes
    ----------
    version : str
    indicators : tuple of Indicator
        In file order.
    subsystems, pillars, pathways : dict
        Key → {"label_zh", "label_en"} for the fixed keys ``SUBSYSTEMS``, ``PILLARS``, ``PATHWAYS``.
    references : dict
        Key → full citation.
    source : str
        Where the specification was read from.
    """

    version: str
    indicators: tuple[Indicator, ...]
    subsystems: dict[str, dict[str, str]]
    pillars: dict[str, dict[str, str]]
    pathways: dict[str, dict[str, str]]
    references: dict[str, str]
    source: str = "<dict>"

    @property
    def names(self) -> list[str]:
        return [i.name for i in self.indicators]

    def __getitem__(self, name: str) -> Indicator:
        for ind in self.indicators:
            if ind.name == name:
                return ind
        raise KeyError(f"no indicator {name!r} in the specification ({self.source})")

    def members(self, *, subsystem: str | None = None, pillar: str | None = None,
                pathway: str | None = None, linkage: bool | None = None) -> list[str]:
        """Names of the indicators in a subsystem, pillar, pathway or the linkage index (file order)."""
        out = []
        for i in self.indicators:
            if subsystem is not None and i.subsystem != subsystem:
                continue
            if pillar is not None and i.pillar != pillar:
                continue
            if pathway is not None and i.pathway != pathway:
                continue
            if linkage is not None and i.linkage != linkage:
                continue
            out.append(i.name)
        return out

    def is_core(self, name: str) -> bool:
        """Whether an indicator enters a composite (a subsystem, a pillar or the linkage index)."""
        i = self[name]
        return i.subsystem != "none" or i.pillar != "none" or i.linkage

    @property
    def columns(self) -> list[str]:
        """All panel columns used by the formulas."""
        seen: dict[str, None] = {}
        for i in self.indicators:
            for c in i.columns:
                seen.setdefault(c, None)
        return list(seen)

    def directions(self, names: Iterable[str] | None = None) -> pd.Series:
        """``+1``/``−1`` per indicator (Series indexed by name)."""
        names = self.names if names is None else list(names)
        return pd.Series({n: self[n].sign for n in names}, dtype="int64")

    def drop(self, names: Iterable[str]) -> Spec:
        """A copy without the named indicators (used for leave-one-out and missing columns)."""
        names = set(names)
        return Spec(self.version, tuple(i for i in self.indicators if i.name not in names),
                    self.subsystems, self.pillars, self.pathways, self.references, self.source)

    def table(self) -> pd.DataFrame:
        """The indicators as a DataFrame (one row each)."""
        rows = [i.model_dump() | {"reference": ";".join(i.reference)} for i in self.indicators]
        return pd.DataFrame(rows)


def _entry_id(raw: object, pos: int) -> str:
    name = raw.get("name") if isinstance(raw, Mapping) else None
    return f"indicator #{pos + 1} {name!r}" if name else f"indicator #{pos + 1} (no name)"


def _format_pydantic(err: ValidationError) -> list[str]:
    out = []
    for e in err.errors():
        field = ".".join(str(x) for x in e["loc"]) or "entry"
        msg = e["msg"]
        if e["type"] == "literal_error":
            msg = f"{msg}, got {e.get('input')!r}"
        elif e["type"] == "extra_forbidden":
            msg = "unknown field (typo?)"
        out.append(f"{field}: {msg}")
    return out


def _check_labels(raw: object, keys: tuple[str, ...], what: str, problems: list[str]) -> dict:
    if raw is None:
        problems.append(f"`{what}` section is missing (needs {', '.join(keys)})")
        return {}
    if not isinstance(raw, Mapping):
        problems.append(f"`{what}` must be a mapping of key → labels")
        return {}
    unknown = sorted(set(raw) - set(keys))
    missing = [k for k in keys if k not in raw]
    for k in unknown:
        problems.append(f"{what}: unknown key {k!r} (allowed: {', '.join(keys)})")
    for k in missing:
        problems.append(f"{what}: key {k!r} is missing")
    out = {}
    for k in keys:
        if k in raw:
            try:
                out[k] = _Label.model_validate(raw[k]).model_dump()
            except ValidationError as exc:
                problems.extend(f"{what}.{k}: {m}" for m in _format_pydantic(exc))
    return out


def _column_problems(eid: str, formula: str, cols: Iterable[str], allowed: set[str],
                     where: str | None = None) -> list[str]:
    """One message per column of ``formula`` not in ``allowed``, with the closest known names."""
    out = []
    for col in cols:
        if col not in allowed:
            close = difflib.get_close_matches(col, sorted(allowed), n=3)
            hint = f" (did you mean {', '.join(map(repr, close))}?)" if close else ""
            place = f" (not in {where})" if where else ""
            out.append(f"{eid}: formula {formula!r} uses unknown column {col!r}{place}{hint}")
    return out


def user_columns() -> set[str]:
    """Names of the user series registered by ``python -m analysis data import`` (the rows of
    ``data/user_sources.csv``); empty when none is registered or the record cannot be read (the
    data build reports a broken record)."""
    try:
        from analysis.data.user_sources import load_records

        return {r.name for r in load_records()}
    except Exception:  # noqa: BLE001 - a broken record is the data step's error, not the spec's
        return set()


def validate_spec(raw: Mapping, *, columns: Iterable[str] | None = None,
                  source: object = "<dict>", columns_source: str | None = None) -> Spec:
    """Validate a parsed specification and return a :class:`Spec`.

    Parameters
    ----------
    raw : mapping
        The parsed YAML (keys ``version``, ``subsystems``, ``pillars``, ``pathways``,
        ``references``, ``indicators``).
    columns : iterable of str, optional
        Columns formulas may use. Default: the panel contract columns plus the chain-linkage
        columns (``PANEL_COLUMNS | CHAIN_COLUMNS``).
    source : object
        Shown in error messages (the file path).
    columns_source : str, optional
        Where ``columns`` come from (e.g. ``data/processed/panel.parquet``): with it, an unknown
        column is reported as missing from that table and the table's columns are listed.

    Returns
    -------
    Spec

    Raises
    ------
    SpecError
        Listing every problem found, each naming its entry: unknown or missing field, bad
        direction, unknown subsystem / pillar / pathway, syntax error or forbidden construct in a
        formula, a formula using an unknown column (with the closest known names), duplicate
        indicator name, a reference key not in ``references``, a subsystem or pillar without
        indicators.
    """
    allowed = set(PANEL_COLUMNS | CHAIN_COLUMNS) if columns is None else set(columns)
    problems: list[str] = []
    if not isinstance(raw, Mapping):
        raise SpecError(["the specification must be a mapping (YAML dictionary)"], source)
    known_top = {"version", "framework", "subsystems", "pillars", "pathways", "references", "indicators"}
    for k in sorted(set(raw) - known_top):
        problems.append(f"unknown top-level key {k!r} (allowed: {', '.join(sorted(known_top))})")
    version = raw.get("version")
    if not isinstance(version, str | int | float) or str(version).strip() == "":
        problems.append("`version` is missing (e.g. version: \"1.0.0\")")
    subsystems = _check_labels(raw.get("subsystems"), SUBSYSTEMS, "subsystems", problems)
    pillars = _check_labels(raw.get("pillars"), PILLARS, "pillars", problems)
    pathways = _check_labels(raw.get("pathways"), PATHWAYS, "pathways", problems)
    refs = raw.get("references") or {}
    if not isinstance(refs, Mapping):
        problems.append("`references` must be a mapping of key → citation")
        refs = {}
    refs = {str(k): str(v).strip() for k, v in refs.items()}

    entries = raw.get("indicators")
    if not isinstance(entries, list) or not entries:
        problems.append("`indicators` must be a non-empty list")
        entries = []
    indicators: list[Indicator] = []
    first_pos: dict[str, int] = {}
    for pos, entry in enumerate(entries):
        eid = _entry_id(entry, pos)
        if not isinstance(entry, Mapping):
            problems.append(f"{eid}: must be a mapping of fields")
            continue
        try:
            ind = Indicator.model_validate(dict(entry))
        except ValidationError as exc:
            problems.extend(f"{eid}: {m}" for m in _format_pydantic(exc))
            # still report the formula's and references' problems of this entry (all at once)
            formula, reference = entry.get("formula"), entry.get("reference")
            try:
                cols = formula_columns(formula) if isinstance(formula, str) else []
            except ValueError:
                cols = []  # a formula error is already among the pydantic messages
            problems.extend(_column_problems(eid, formula, cols, allowed, columns_source))
            if isinstance(reference, list):
                problems.extend(f"{eid}: reference {r!r} is not defined under `references`"
                                for r in reference if isinstance(r, str) and r not in refs)
            continue
        if ind.name in first_pos:
            problems.append(f"{eid}: duplicate name (already used by indicator #{first_pos[ind.name] + 1})")
            continue
        first_pos[ind.name] = pos
        problems.extend(_column_problems(eid, ind.formula, ind.columns, allowed, columns_source))
        for r in ind.reference:
            if r not in refs:
                problems.append(f"{eid}: reference {r!r} is not defined under `references`")
        indicators.append(ind)

    if indicators and len(indicators) == len(entries):
        for s in SUBSYSTEMS:
            if not any(i.subsystem == s for i in indicators):
                problems.append(f"subsystem {s!r} has no indicators")
        for p in PILLARS:
            if not any(i.pillar == p for i in indicators):
                problems.append(f"pillar {p!r} has no indicators")
        for p in PATHWAYS:
            if not any(i.pathway == p for i in indicators):
                problems.append(f"pathway {p!r} has no indicators")
    if columns_source and any("uses unknown column" in m for m in problems):
        problems.append(f"columns that exist in {columns_source}: {', '.join(sorted(allowed))}. "
                        "A series of your own enters the panel with `python -m analysis data "
                        "import FILE --name NAME` followed by `python -m analysis data build`.")
    if problems:
        raise SpecError(problems, source)
    return Spec(str(version), tuple(indicators), subsystems, pillars, pathways, refs, str(source))


class _UniqueKeyLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that rejects a key repeated inside one mapping.

    PyYAML silently keeps the last of two equal keys, so an entry with two ``direction:`` lines
    would load with whichever came last; a specification must not change meaning that way.
    """

    def construct_mapping(self, node, deep=False):
        seen: dict[object, int] = {}
        name = next((v.value for k, v in node.value
                     if isinstance(k, yaml.ScalarNode) and k.value == "name"
                     and isinstance(v, yaml.ScalarNode)), None)
        for key_node, _ in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else id(key_node)
            line = key_node.start_mark.line + 1
            if key in seen:
                where = f"entry {name!r}" if name else f"the mapping starting on line {node.start_mark.line + 1}"
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} in {where} (lines {seen[key]} and {line})",
                    key_node.start_mark)
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


def load_spec(path: str | Path | None = None, *, columns: Iterable[str] | None = None,
              columns_source: str | None = None) -> Spec:
    """Read and validate a specification file (YAML).

    Parameters
    ----------
    path : str or Path, optional
        Default: the package's ``analysis/framework/spec.yaml``.
    columns : iterable of str, optional
        Columns formulas may use. Default: the panel contract columns, the chain-linkage columns
        and the user series registered by ``python -m analysis data import``
        (:func:`user_columns`). The framework step passes the columns of the built panel, so
        that an indicator is checked against the data it will be computed from.
    columns_source : str, optional
        Where ``columns`` come from, for the messages (see :func:`validate_spec`).

    Returns
    -------
    Spec

    Raises
    ------
    SpecError
        Malformed YAML (including a key repeated inside one entry, which plain YAML loaders
        silently resolve to the last value) or any invalid entry (see :func:`validate_spec`).
    FileNotFoundError
        ``path`` does not exist.
    """
    path = Path(path) if path is not None else DEFAULT_SPEC_PATH
    text = path.read_text(encoding="utf-8")
    try:
        raw = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise SpecError([f"YAML syntax error: {exc}"], path) from None
    if columns is None:
        columns = PANEL_COLUMNS | CHAIN_COLUMNS | user_columns()
    return validate_spec(raw, columns=columns, source=path, columns_source=columns_source)
