"""The processed tables a province report reads, loaded once per kernel.

:func:`load_inputs` reads ``data/processed`` (panel, codebooks, integration table and
diagnostics, chain-linkage tables, the stored model results) into a :class:`ReportInputs` and
caches it on the files' sizes and modification times, so a kernel that renders several provinces
reads them once. Nothing is computed per province here: heavy per-province work (the
industrial-chain sector profile) is computed once upstream by the measures step
(``chain_sectors.parquet``, :func:`analysis.measures.io.sector_chain_profiles`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from analysis import paths
from analysis.labels import Labels


class UnknownProvinceCodeError(ValueError):
    """A province code that is not one of the 31 GB/T 2260 provincial codes."""


#: Processed files a report reads (those that exist), besides ``results/*``.
INPUT_FILES = (
    "panel.parquet",
    "codebook.csv",
    "integration.parquet",
    "integration_diagnostics.parquet",
    "integration_fills.parquet",
    "integration_codebook.csv",
    "boundaries.parquet",
    "boundaries_context.parquet",
    "chain_linkage.parquet",
    "chain_linkage_panel.parquet",
    "chain_sectors.parquet",
)


@dataclass
class ReportInputs:
    """Processed tables a report reads (``None`` where a table is not built yet).

    Attributes
    ----------
    data_dir : pathlib.Path
        ``data/processed`` (or a test folder with the same layout).
    provinces : pandas.DataFrame
        ``analysis.data.provinces.PROVINCES`` (31 rows).
    panel, codebook, integration, diagnostics, int_codebook : pandas.DataFrame or None
        ``panel.parquet``, ``codebook.csv``, ``integration.parquet``,
        ``integration_diagnostics.parquet``, ``integration_codebook.csv``.
    fills : pandas.DataFrame or None
        ``integration_fills.parquet``: every core cell the framework's missing-value rule filled
        (``province_code, year, indicator, method``).
    chain_linkage, chain_panel, chain_sectors : pandas.DataFrame or None
        ``chain_linkage.parquet`` (province × IO year), ``chain_linkage_panel.parquet`` (assigned
        to panel years, with ``io_year``), ``chain_sectors.parquet`` (province × IO year × sector).
    results : dict
        Every table in ``results/`` (``.parquet``, ``.csv``; ``.json`` as parsed objects), keyed
        by file stem.
    spec : analysis.framework.spec.Spec or None
        The validated framework specification (formulas, version).
    labels : analysis.labels.Labels
        Labels of variables, pillars, pathways, units.
    """

    data_dir: Path
    provinces: pd.DataFrame
    panel: pd.DataFrame | None = None
    codebook: pd.DataFrame | None = None
    integration: pd.DataFrame | None = None
    diagnostics: pd.DataFrame | None = None
    int_codebook: pd.DataFrame | None = None
    fills: pd.DataFrame | None = None
    chain_linkage: pd.DataFrame | None = None
    chain_panel: pd.DataFrame | None = None
    chain_sectors: pd.DataFrame | None = None
    results: dict[str, Any] = field(default_factory=dict)
    spec: Any = None
    labels: Labels = field(default_factory=Labels)
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def codes(self) -> list[int]:
        return [int(c) for c in self.provinces["province_code"]]

    def cached(self, key: str, make):
        """``make()`` once per inputs object (per kernel): shapes, neighbours, derived frames."""
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def shapes(self):
        """Simplified projected map shapes (:func:`analysis.reporting.maps.province_shapes`) or None."""
        from analysis.reporting import maps

        return self.cached("shapes", lambda: maps.province_shapes(self.codes, data_dir=self.data_dir))

    def neighbours(self) -> dict[int, list[int]]:
        """Queen-contiguity neighbours (measures layer; Hainan linked to Guangdong)."""
        from analysis.reporting import maps

        return self.cached("neighbours", lambda: maps.queen_neighbours(self.codes, data_dir=self.data_dir))

    def sector_profiles(self) -> pd.DataFrame | None:
        """Every province's sector chain profile: ``chain_sectors.parquet`` (written once by the
        chain-linkage step), else computed here once per kernel from ``io_*.parquet`` with
        :func:`analysis.measures.io.sector_chain_profiles` (slow: about two seconds); None without
        IO tables."""
        if self.chain_sectors is not None:
            return self.chain_sectors

        def make():
            if not all((self.data_dir / f"io_{k}.parquet").exists() for k in ("flows", "final", "va")):
                return None
            from analysis.data.io_tables import io_tables_from_frames
            from analysis.measures.io import sector_chain_profiles

            frames = {k: pd.read_parquet(self.data_dir / f"io_{k}.parquet") for k in ("flows", "final", "va")}
            return sector_chain_profiles({k: v for k, v in io_tables_from_frames(frames).items() if k[0] != 0})

        return self.cached("sector_profiles", make)

    def formula(self, indicator: str) -> str | None:
        """The specification's formula of a framework indicator (None if not an indicator)."""
        if self.spec is None:
            return None
        try:
            return str(self.spec[str(indicator)].formula)
        except (KeyError, AttributeError):
            return None

    def framework_version(self) -> str:
        """``spec.yaml``'s ``version``, or ``"?"``."""
        return str(getattr(self.spec, "version", None) or "?")


_CACHE: dict[tuple, ReportInputs] = {}


def input_files(data_dir: Path) -> list[Path]:
    """Processed files a report depends on (those that exist), including ``results/*``."""
    data_dir = Path(data_dir)
    out = [data_dir / f for f in INPUT_FILES if (data_dir / f).exists()]
    rdir = data_dir / "results"
    if rdir.is_dir():
        out += sorted(p for p in rdir.rglob("*") if p.is_file() and not p.name.startswith("."))
    return out


def provinces_table() -> pd.DataFrame:
    """The province table of the data layer (31 rows, GB/T 2260 codes, names, NBS regions)."""
    from analysis.data.provinces import PROVINCES

    return PROVINCES.copy()


def load_spec_quietly():
    """The validated framework specification, or None when it cannot be loaded."""
    from analysis.framework.spec import load_spec

    try:
        return load_spec()
    except Exception:  # noqa: BLE001 - labels then fall back to the keys
        return None


def framework_version() -> str:
    """Version of the integration framework's specification (``spec.yaml`` ``version``), or ``"?"``
    (read once per process and spec file state: validating the file takes a third of a second)."""
    from analysis.framework.spec import DEFAULT_SPEC_PATH as spec_path

    st = spec_path.stat() if spec_path.exists() else None
    return _framework_version((st.st_size, st.st_mtime_ns) if st else None)


@lru_cache(maxsize=4)
def _framework_version(_key) -> str:
    spec = load_spec_quietly()
    return str(getattr(spec, "version", None) or "?")


def load_inputs(data_dir: str | Path | None = None) -> ReportInputs:
    """Read the processed tables once (cached on the files' sizes and modification times).

    Parameters
    ----------
    data_dir : str or pathlib.Path, optional
        Folder with the processed tables (default ``data/processed``).
    """
    data_dir = Path(data_dir) if data_dir else paths.processed_dir()
    files = input_files(data_dir)
    key = (str(data_dir), tuple((str(f), f.stat().st_size, f.stat().st_mtime_ns) for f in files))
    if key in _CACHE:
        return _CACHE[key]

    def opt(name: str, reader):
        f = data_dir / name
        return _plain(reader(f)) if f.exists() else None

    def csv(f: Path) -> pd.DataFrame:
        return pd.read_csv(f, encoding="utf-8-sig")

    codebook = opt("codebook.csv", csv)
    int_codebook = opt("integration_codebook.csv", csv)
    spec = load_spec_quietly()
    inp = ReportInputs(
        data_dir=data_dir,
        provinces=_plain(provinces_table()),
        panel=opt("panel.parquet", pd.read_parquet),
        codebook=codebook,
        integration=opt("integration.parquet", pd.read_parquet),
        diagnostics=opt("integration_diagnostics.parquet", pd.read_parquet),
        int_codebook=int_codebook,
        fills=opt("integration_fills.parquet", pd.read_parquet),
        chain_linkage=opt("chain_linkage.parquet", pd.read_parquet),
        chain_panel=opt("chain_linkage_panel.parquet", pd.read_parquet),
        chain_sectors=opt("chain_sectors.parquet", pd.read_parquet),
        results=_load_results(data_dir / "results"),
        spec=spec,
        labels=Labels.from_spec([codebook, int_codebook], spec),
    )
    _CACHE.clear()
    _CACHE[key] = inp
    return inp


def _plain(df: pd.DataFrame) -> pd.DataFrame:
    """Arrow-backed string columns as plain objects: a report filters these small tables hundreds
    of times, and ``take`` on Arrow arrays is several times slower than on NumPy ones."""
    cols = [c for c, t in df.dtypes.items() if isinstance(t, pd.ArrowDtype | pd.StringDtype)]
    return df.astype(dict.fromkeys(cols, object)) if cols else df


def _load_results(rdir: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if not rdir.is_dir():
        return out
    for p in sorted(rdir.rglob("*")):
        if not p.is_file() or p.name.startswith("."):
            continue
        stem = str(p.relative_to(rdir).with_suffix("")).replace("/", ".")
        try:
            if p.suffix == ".parquet":
                out[stem] = pd.read_parquet(p)
            elif p.suffix == ".csv":
                out.setdefault(stem, pd.read_csv(p, encoding="utf-8-sig"))
            elif p.suffix == ".json":
                out.setdefault(stem, json.loads(p.read_text(encoding="utf-8")))
        except Exception:  # noqa: BLE001 - an unreadable result only blanks its section
            continue
    return out


def province_info(inp: ReportInputs, code: int) -> pd.Series:
    """Row of the province table for ``code``.

    Raises
    ------
    UnknownProvinceCodeError
        If ``code`` is not one of the 31 provincial codes (the message lists the valid ones).
    """
    try:
        code = int(code)
    except (TypeError, ValueError) as exc:
        raise UnknownProvinceCodeError(f"province_code must be an integer GB/T 2260 code, got {code!r}") from exc
    hit = inp.provinces.loc[inp.provinces["province_code"] == code]
    if hit.empty:
        known = ", ".join(f"{c} {n}" for c, n in zip(inp.provinces["province_code"], inp.provinces["name_en"], strict=True))
        raise UnknownProvinceCodeError(f"unknown province code {code}; known codes: {known}")
    return hit.iloc[0]


def province_name(row: pd.Series, lang: str) -> str:
    """Short name in ``lang`` (北京 / Beijing)."""
    return str(row["name_zh"] if lang == "zh" else row["name_en"])
