"""Every label, from one place: the codebooks, the framework specification and one derived-labels file.

- Panel columns: ``data/processed/codebook.csv`` (generated from the parsers' ``Variable`` records).
- Framework indicators and output columns: ``integration_codebook.csv`` (generated from
  ``analysis/framework/spec.yaml``); pillars and pathways: the specification itself.
- Everything else — variables derived by the models layer or the reports, the words of the
  framework's categorical values (``multi``, ``lagging``), units — ``analysis/derived_labels.yaml``.
- Coordination classes: :data:`analysis.measures.coupling.COORDINATION_CLASSES`; regions and
  province names: :data:`analysis.data.provinces.PROVINCES`.

A name is labelled in one of these only (a test checks that the derived file repeats no codebook
name), so the reports, the index and the paper tables cannot disagree. This module reads no
processed file itself: :class:`Labels` is built from tables the caller has loaded.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

DERIVED_FILE = Path(__file__).with_name("derived_labels.yaml")
LANGS = ("zh", "en")


@lru_cache(maxsize=1)
def derived() -> dict[str, Any]:
    """The parsed derived-labels file: ``variables``, ``values``, ``units`` (cached)."""
    return yaml.safe_load(DERIVED_FILE.read_text(encoding="utf-8"))


def derived_by_lang() -> dict[str, dict[str, str]]:
    """``{"en": {name: label}, "zh": {...}}`` of the derived variables (the models' table labels)."""
    return {lang: {k: v[lang] for k, v in derived()["variables"].items()} for lang in ("en", "zh")}


def _check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, got {lang!r}")
    return lang


def _missing(v: object) -> bool:
    return v is None or (isinstance(v, float) and pd.isna(v))


@dataclass
class Labels:
    """Label lookup over the codebooks, the specification and the derived-labels file.

    Parameters
    ----------
    codebooks : sequence of pandas.DataFrame
        ``codebook.csv`` (key column ``variable``) and ``integration_codebook.csv`` (``name``),
        with ``label_zh``, ``label_en`` and ``unit``; missing ones may be left out.
    pillars, pathways : mapping, optional
        ``{key: {"zh": label, "en": label}}`` from the framework specification
        (:func:`from_spec` fills them).
    """

    codebooks: list[pd.DataFrame] = field(default_factory=list)
    pillars: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    pathways: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._vars: dict[str, dict[str, str]] = {}
        for cb in reversed([c for c in self.codebooks if c is not None]):  # the first codebook wins
            key = "variable" if "variable" in cb.columns else "name"
            if key not in cb.columns:
                continue
            for rec in cb.to_dict("records"):
                lab = {lang: rec.get(f"label_{lang}") for lang in LANGS}
                lab = {k: v for k, v in lab.items() if isinstance(v, str) and v}
                if isinstance(rec.get("unit"), str):
                    lab["unit"] = rec["unit"]
                self._vars[str(rec[key])] = lab
        for k, v in derived()["variables"].items():
            self._vars.setdefault(k, {kk: str(vv) for kk, vv in v.items()})

    @classmethod
    def from_spec(cls, codebooks: Iterable[pd.DataFrame | None], spec: Any | None) -> Labels:
        """Labels with the pillars and pathways of a validated specification (``load_spec()``)."""
        parts: dict[str, dict[str, dict[str, str]]] = {"pillars": {}, "pathways": {}}
        for part in parts:
            for k, v in (getattr(spec, part, None) or {}).items():
                parts[part][str(k)] = {"zh": v.get("label_zh", k), "en": v.get("label_en", k)}
        return cls([c for c in codebooks if c is not None], parts["pillars"], parts["pathways"])

    # -- variables -------------------------------------------------------------------------
    def var(self, name: str, lang: str) -> str:
        """Label of a variable (panel column, framework indicator, derived variable), else the name."""
        return self._vars.get(str(name), {}).get(_check_lang(lang), str(name))

    def unit(self, name: str) -> str | None:
        """The unit a codebook (or the derived file) gives ``name`` (``亿元``, ``share`` …), or None."""
        return self._vars.get(str(name), {}).get("unit")

    def known(self, name: str) -> bool:
        return str(name) in self._vars

    @staticmethod
    def unit_label(unit: str | None, lang: str) -> str:
        """A unit in ``lang`` (``亿元`` → ``100 million yuan``); unknown units unchanged."""
        if unit is None:
            return ""
        return derived()["units"].get(unit, {}).get(_check_lang(lang), unit)

    # -- framework values ------------------------------------------------------------------
    def pillar(self, key: str, lang: str) -> str:
        """Pillar label from the specification (``chain`` or ``pillar_chain``)."""
        k = str(key).removeprefix("pillar_")
        return self.pillars.get(k, {}).get(_check_lang(lang), k)

    def pathway(self, key: str, lang: str) -> str:
        """Pathway label from the specification (``core_tech`` or ``pathway_core_tech``)."""
        k = str(key).removeprefix("pathway_")
        return self.pathways.get(k, {}).get(_check_lang(lang), k.replace("_", " "))

    def model(self, model: object, lang: str, z: object = None, *, short: bool = False) -> str:
        """Integration model in words: a pillar's label for ``chain`` … ``future``, the derived file's
        words for ``multi`` and ``none_dominant`` (``multi`` with every pillar z < 0, see
        :func:`model_key`); ``"a;b"`` joins labels; ``short`` drops a parenthetical explanation."""
        if _missing(model):
            return "—"
        words = derived()["values"]["model"]
        parts = [p.strip() for p in str(model_key(model, z)).split(";") if p.strip()]
        out = []
        for p in parts:
            lab = words[p][_check_lang(lang)] if p in words else self.pillar(p, lang)
            out.append(lab.split("（")[0].split(" (")[0] if short else lab)
        return ("、" if lang == "zh" else ", ").join(out)

    @staticmethod
    def lagging(value: object, lang: str) -> str:
        """Which subsystem lags (``st``, ``ind``, ``balanced``) in words."""
        if _missing(value):
            return "—"
        return derived()["values"]["lagging"].get(str(value), {}).get(_check_lang(lang), str(value))

    @staticmethod
    def d_class(level: object, lang: str, d: float | None = None) -> str:
        """Coordination class: the level 1–10 (or a zh/en label), else derived from ``d``.

        Classes and interval ends from :data:`analysis.measures.coupling.COORDINATION_CLASSES`
        ([a, b), 1.0 in the top class).
        """
        from analysis.measures.coupling import COORDINATION_CLASSES as C

        col = f"label_{_check_lang(lang)}"
        if not _missing(level):
            if isinstance(level, numbers.Number) and 1 <= int(level) <= 10:
                return str(C.loc[C["level"] == int(level), col].iloc[0])
            hit = C[(C["label_zh"] == str(level)) | (C["label_en"] == str(level))]
            if len(hit):
                return str(hit[col].iloc[0])
            return str(level)
        if _missing(d):
            return "—"
        return str(C[col].iloc[min(int(round(float(d) * 10, 12)), 9)])

    @staticmethod
    def region(region: str, lang: str) -> str:
        """NBS region (``east`` …) in ``lang``, from the province table."""
        from analysis.data.provinces import PROVINCES

        hit = PROVINCES.loc[PROVINCES["region"] == str(region), f"region_{_check_lang(lang)}"]
        return str(hit.iloc[0]) if len(hit) else str(region)


def model_key(model: object, z: object = None) -> object:
    """Reading key of an integration model: ``"multi"`` becomes ``"none_dominant"`` when every
    pillar z-score is below 0.

    The framework's ``model`` (``chain``, ``platform``, ``demand``, ``future``, ``multi``) calls a
    province ``multi`` when no pillar stands out: several pillars similarly developed, or none
    developed at all. The pillar z-scores (``z_*`` in ``integration.parquet``, standardised across
    the provinces of the year) tell them apart: all ``z < 0`` means no pillar is above the year's
    mean.

    Parameters
    ----------
    model : str or None
    z : sequence of float, mapping or pandas.Series, optional
        The province-year's pillar z-scores; NaNs ignored; ``None`` or all-NaN leaves ``model``.
    """
    if not isinstance(model, str) or model.strip() != "multi" or z is None:
        return model
    vals = pd.to_numeric(pd.Series(list(z.values()) if isinstance(z, dict) else list(z), dtype="object"),
                         errors="coerce").dropna()
    if len(vals) and bool((vals < 0).all()):
        return "none_dominant"
    return model


def z_scores(row: object) -> list[float] | None:
    """The pillar z-scores (``z_*`` columns) of one row (Series or dict), or ``None`` if absent."""
    keys = [k for k in (row.keys() if hasattr(row, "keys") else [])
            if str(k).startswith("z_") and not str(k).endswith(("_lo", "_hi"))]  # not the intervals
    return [row[k] for k in keys] if keys else None
