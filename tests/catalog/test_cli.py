"""The `symcat` command as a user runs it: real processes, a real database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from symcat.config import Settings

SYMCAT = [sys.executable, "-m", "symcat.cli"]


def run(settings: Settings, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return run_all(settings, [args], check=check)[0]


def run_all(settings: Settings, commands: list[tuple[str, ...]], check: bool = True,
            ) -> list[subprocess.CompletedProcess[str]]:
    """Each of ``commands`` in its own `symcat` process, all started at once."""
    env = {**os.environ, "SYMCAT_DATABASE_URL": settings.database_url or "",
           "SYMCAT_SITE": "cli-site", "SYMCAT_INSTRUMENT": "cli-pc"}
    processes = [subprocess.Popen([*SYMCAT, *args], env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for args in commands]
    results = []
    for args, process in zip(commands, processes, strict=True):
        out, err = process.communicate(timeout=300)
        result = subprocess.CompletedProcess([*SYMCAT, *args], process.returncode, out, err)
        if check and result.returncode != 0:
            raise AssertionError(f"symcat {' '.join(args)} failed:\n{out}\n{err}")
        results.append(result)
    return results


def test_ingest_prints_summary_with_reasons(settings: Settings, fixtures_root: Path) -> None:
    result = run(settings, "ingest", str(fixtures_root), "--no-progress")
    assert "11 new, 0 already present, 2 refused" in result.stdout
    assert "igor_mac_textwave.ibw:" in result.stdout
    again = json.loads(run(settings, "ingest", str(fixtures_root), "--json").stdout)
    assert again["new"] == 0 and again["present"] == 11


def test_two_ingests_at_once_make_no_duplicates(settings: Settings, fixtures_root: Path) -> None:
    env = {**os.environ, "SYMCAT_DATABASE_URL": settings.database_url or ""}
    procs = [
        subprocess.Popen([*SYMCAT, "ingest", str(fixtures_root), "--json", "--jobs", "2"],
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    results = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    summaries = [json.loads(out) for out, _ in results]
    assert sum(s["new"] for s in summaries) == 11
    assert all(s["new"] + s["present"] == 11 for s in summaries)
    listed = json.loads(run(settings, "scans", "--format", "json", "--limit", "100").stdout)
    assert len(listed) == 11
    assert len({row["file_sha256"] for row in listed}) == 11


def test_scans_filters_and_show(settings: Settings, fixtures_root: Path) -> None:
    run(settings, "ingest", str(fixtures_root), "--no-progress")
    curves, dart, sized = run_all(settings, [  # three listings, in processes side by side
        ("scans", "--where", "kind = force_curve", "--format", "json"),
        ("scans", "--where", "mode=dart_pfm"),
        ("scans", "-w", "mode in (pfm, dart_pfm)", "-w", "scan_size_x_m >= 1um", "--format",
         "json")])
    rows = json.loads(curves.stdout)
    assert len(rows) == 3 and {r["record_kind"] for r in rows} == {"force_curve"}
    assert {r["site"] for r in rows} == {"cli-site"}
    table = dart.stdout
    assert "dart_pfm" in table and "force_curve" not in table
    both = json.loads(sized.stdout)
    assert {r["imaging_mode"] for r in both} == {"pfm", "dart_pfm"}
    document = json.loads(run(settings, "show", rows[0]["id"]).stdout)
    assert document["record_kind"] == "force_curve"


def test_unknown_filter_is_a_clear_error(settings: Settings) -> None:
    result = run(settings, "scans", "--where", "colour=red", check=False)
    assert result.returncode == 1
    assert "unknown column 'colour'" in result.stderr and "valid:" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_path_is_a_clear_error(settings: Settings, tmp_path: Path) -> None:
    result = run(settings, "ingest", str(tmp_path / "nope"), check=False)
    assert result.returncode == 1
    assert "no such file or folder" in result.stderr and "Traceback" not in result.stderr


def test_unreachable_database_is_a_clear_error(tmp_path: Path) -> None:
    bad = Settings(database_url=f"postgresql+psycopg://nobody@/symcat?host={tmp_path}")
    result = run(bad, "db", "status", check=False)
    assert result.returncode == 1
    assert "cannot reach the catalog database" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", [["--help"], ["ingest", "--help"], ["db", "--help"]])
def test_help_works(settings: Settings, command: list[str]) -> None:
    assert "Usage" in run(settings, *command).stdout
