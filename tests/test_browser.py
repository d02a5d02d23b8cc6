"""The index and a report in a real browser (headless Chromium) at 390 px and 1280 px.

At both widths the page's main container must not overflow horizontally (wide tables scroll
inside their own box; on a phone the index becomes cards) and every image must carry alt text in
the page's language, not a placeholder. Runs where Debian's ``chromium`` is installed (``make
reports-pdf`` installs it); skipped with the reason otherwise.
"""

from __future__ import annotations

import pytest

from analysis import paths
from analysis.reporting import batch
from analysis.reporting.browser import Browser, chromium_binary
from analysis.reporting.synthetic import write_synthetic

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(chromium_binary() is None,
                                 reason="no Chromium on PATH (Debian: apt-get install chromium)")]

NOTEBOOK = paths.project_root() / "notebooks" / "province_report.ipynb"
PLACEHOLDERS = {"image", "figure", "map", "png", "chart", "plot", "figure 1"}

#: What the page reports about itself: overflow of <main> and of the page, and every image's alt.
PROBE = """(() => {
  const m = document.querySelector('main');
  const imgs = Array.from(document.images).filter(i => i.offsetParent !== null);
  return {main_scroll: m.scrollWidth, main_client: m.clientWidth,
          page_scroll: document.documentElement.scrollWidth, viewport: window.innerWidth,
          alts: imgs.map(i => i.getAttribute('alt') || ''), n_img: imgs.length,
          cards: getComputedStyle(document.querySelector('table.sortable thead') || document.body).display};
})()"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("site")
    data = write_synthetic(root / "processed")
    mp = pytest.MonkeyPatch()
    mirror = paths.mirror_dir()  # the boundaries for the maps (read before the root moves)
    mp.setenv("ANALYSIS_ROOT", str(root))  # map and font caches under the temporary root
    if mirror is not None:
        mp.setenv("ANALYSIS_MIRROR", str(mirror))
    try:
        rc = batch.main(provinces=[320000], workers=1, data_dir=data, out_root=root / "reports",
                        notebook=NOTEBOOK, progress=False, timeout=180)
    finally:
        mp.undo()
    assert rc == 0
    return root / "reports"


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("page", ["index.html", "provinces/320000_zh.html", "provinces/320000_en.html"])
def test_page_fits_and_images_have_alt_text(site, page, width):
    with Browser() as b:
        b.open(site / page, width=width)
        r = b.evaluate(PROBE)
    assert r["main_scroll"] <= r["main_client"] + 1, f"{page} at {width}px: main overflows ({r})"
    assert r["page_scroll"] <= r["viewport"] + 1, f"{page} at {width}px: the page scrolls sideways ({r})"
    if paths.mirror_dir() is not None:  # maps need the boundaries
        assert r["n_img"] >= (1 if page == "index.html" else 5)
    zh = page.endswith("_zh.html") or page == "index.html"  # the index opens in Chinese
    for alt in r["alts"]:
        assert len(alt) > 20 and alt.strip().lower() not in PLACEHOLDERS, (page, alt)
        assert "no description has been provided" not in alt.lower(), (page, alt)  # nbconvert's
        assert any(ord(c) >= 0x2E80 for c in alt) == zh, (page, alt)
    if page == "index.html":
        assert r["cards"] == ("none" if width == 390 else "table-header-group")  # cards on a phone
