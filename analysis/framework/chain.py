"""The chain-linkage step: ``io_*.parquet`` → ``chain_linkage{,_panel}.parquet``, ``chain_sectors.parquet``.

The one place where the industrial-chain linkage indicators of
:func:`analysis.measures.io.chain_linkage` (one row per province × IO table) and their
assignment to panel years (:func:`analysis.measures.io.chain_linkage_panel`, default
carry-forward: each year takes the latest table at or before it) are stored, with every
province's sector profile (:func:`analysis.measures.io.sector_chain_profiles`: key sectors and
R&D-intensive sectors, which the reports show); the framework, the models and the reports read
these files. Its own module so that the step runner keys it
on the IO measures' code only (editing ``spec.yaml`` does not recompute it).
"""

from __future__ import annotations

import io

import pandas as pd

from analysis import paths

IO_TABLES = ("flows", "final", "va")
OUTPUTS = ("chain_linkage.parquet", "chain_linkage_panel.parquet", "chain_sectors.parquet")


def run(verbose: bool = False) -> pd.DataFrame:
    """Compute and write the chain-linkage tables from the processed IO tables.

    Reads ``data/processed/io_{flows,final,va}.parquet`` (provincial tables only: national
    rows, ``province_code`` 0, are left out) and the years of ``panel.parquet``; writes the
    three files of :data:`OUTPUTS` (temp file + rename): the indicators by table, by panel year,
    and every province's sector profile.

    Parameters
    ----------
    verbose : bool
        Print one line (rows, tables, seconds).

    Returns
    -------
    pandas.DataFrame
        The panel assignment (``province_code``, ``year``, indicators, ``chain_linkage_flag``).

    Raises
    ------
    FileNotFoundError
        An IO table or the panel is missing (run ``python -m analysis data build``).
    """
    import time

    from analysis.data.io_tables import io_tables_from_frames
    from analysis.measures.io import chain_linkage, chain_linkage_panel, sector_chain_profiles

    t0 = time.perf_counter()
    proc = paths.processed_dir()
    need = [proc / f"io_{k}.parquet" for k in IO_TABLES] + [proc / "panel.parquet"]
    missing = [p.name for p in need if not p.exists()]
    if missing:
        raise FileNotFoundError(f"{', '.join(missing)} not found in {proc}: run "
                                "`python -m analysis data build` first")
    years = sorted(int(y) for y in pd.read_parquet(proc / "panel.parquet", columns=["year"])["year"].unique())
    frames = {k: pd.read_parquet(proc / f"io_{k}.parquet") for k in IO_TABLES}
    tables = {k: v for k, v in io_tables_from_frames(frames).items() if k[0] != 0}
    table = chain_linkage(tables)
    panel = chain_linkage_panel(table, years)
    sectors = sector_chain_profiles(tables)
    for frame, name in zip((table, panel, sectors), OUTPUTS, strict=True):
        buf = io.BytesIO()
        frame.to_parquet(buf, index=False)
        paths.atomic_write_bytes(proc / name, buf.getvalue())
    if verbose:
        print(f"chain linkage: {len(table)} province tables -> {proc / OUTPUTS[0]}, "
              f"{len(panel)} province-years -> {OUTPUTS[1]} ({time.perf_counter() - t0:.1f} s)")
    return panel
