"""The command line: options after the subcommand, the provinces listing, UTF-8 under C locale."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from analysis import cli

REPO = Path(__file__).resolve().parents[1]


def test_debug_accepted_before_and_after_the_subcommand():
    p = cli.build_parser()
    assert p.parse_args(["--debug", "models"]).debug is True
    assert p.parse_args(["models", "--debug"]).debug is True
    assert p.parse_args(["models"]).debug is False
    assert p.parse_args(["all", "--keep-going", "--debug"]).keep_going is True


def test_debug_after_subcommand_shows_the_traceback(monkeypatch):
    def boom(args):
        raise ValueError("broken on purpose")

    monkeypatch.setattr(cli, "_provinces", boom)
    assert cli.main(["provinces"]) == 1  # one line, exit 1
    with pytest.raises(ValueError, match="broken on purpose"):
        cli.main(["provinces", "--debug"])


def test_provinces_lists_codes_names_and_regions(capsys):
    assert cli.main(["provinces", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "province_code,name_zh,full_name_zh,name_en,region,region_zh"
    assert len(lines) == 32
    assert "320000,江苏,江苏省,Jiangsu,east,东部" in lines
    assert "540000,西藏,西藏自治区,Tibet,west,西部" in lines


def _c_locale_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG", "PYTHONIO"))}
    env.update(LC_ALL="C", PYTHONUTF8="0",
               PYTHONPATH=str(REPO) + os.pathsep + env.get("PYTHONPATH", ""))
    return env


def test_c_locale_command_line_prints_chinese():
    """Under LC_ALL=C PYTHONUTF8=0 the command line restarts itself in UTF-8 mode."""
    out = subprocess.run([sys.executable, "-m", "analysis", "provinces"], env=_c_locale_env(),
                         capture_output=True, timeout=120)
    assert out.returncode == 0, out.stderr.decode("utf-8", "replace")
    assert "江苏" in out.stdout.decode("utf-8")


def test_c_locale_library_call_gets_a_clear_error(tmp_path):
    code = ("from analysis import paths\n"
            "try:\n    paths.check_filesystem_encoding()\n"
            "except RuntimeError as e:\n    print('ERR', str(e)[:60])\n")
    out = subprocess.run([sys.executable, "-c", code], env=_c_locale_env(), capture_output=True,
                         timeout=120, text=True, encoding="utf-8")
    assert out.stdout.startswith("ERR the file-system encoding is 'ascii'"), out.stdout + out.stderr
