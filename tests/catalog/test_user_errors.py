"""Every mistake a user can type ends in one line on stderr and exit code 1 or 2, never
a traceback: the real `symcat` command, in real processes (and, for most mistakes, its
`main()` in this process: see `REAL`)."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from symcat.client import Catalog
from symcat.config import Settings

SYMCAT = [sys.executable, "-m", "symcat.cli"]

# (arguments, what the one line must say); run against the test catalog.
MISTAKES: list[tuple[list[str | bytes], str]] = [
    (["--database-url", "mysql://root@localhost/symcat", "scans"], "scheme 'mysql' is not"),
    (["--database-url", "not a url at all", "scans"], "cannot read the database URL"),
    (["--database-url", "postgresql://u@host:port/db", "scans"], "port that is not a number"),
    (["--database-url", "sqlite:///catalog.db", "db", "status"], "symcat needs PostgreSQL"),
    (["scans", "-w", "mode = DART"], "unknown imaging mode 'DART' at position 7; valid: "
                                     "dart_pfm, pfm"),
    (["scans", "-w", "kind = picture"], "unknown record kind 'picture'"),
    (["scans", "-w", "acquired_at > 2024-13-45"], "invalid date '2024-13-45' at position 14"),
    (["scans", "-w", "uncalibrated = 5"], "uncalibrated expects true or false at position 15"),
    (["scans", "-w", "id = 'abc'"], "id expects a full id"),
    (["scans", "-w", "acquired_at ~ 2024"], "'~' (contains) at position 12 needs a text column"),
    (["scans", "-w", "(" * 400 + "uncalibrated" + ")" * 400], "nested deeper than"),
    (["scans", "-w", "not " * 990 + "uncalibrated"], "nested deeper than"),
    (["scans", "-w", b"sample = '\xff\xfe'"], "lone UTF-16 surrogate"),  # undecodable argv
    (["scans", "--limit", "-3"], "Invalid value for '-n' / '--limit'"),
    (["neighbors", "ffffff"], "no scan id starts with 'ffffff'"),
    (["show", "12345"], "too short"),
    (["project", "--id", "abc"], "too short"),
    (["embed", "-w", "mode = afm"], "unknown imaging mode 'afm'"),
    (["serve", "--no-browser", "--port", "99999"], "99999 is not in the range"),
]


# The mistakes typed to a real `symcat` process, one of each way a mistake is caught: a
# database URL, a filter, click's own usage check, an argument the locale cannot decode
# (only a process's argv has one), and a command that loads torch (whose import could
# print to stderr in a process of its own). Each of the others runs the same `main()` in
# this process: the same parsing and the same error handling, the exit code and stderr
# as the process would have them, without a process start (1.5-6 s of CPU each; 19 of
# them made this the suite's slowest test).
REAL = tuple(k for k, (args, _) in enumerate(MISTAKES) if args in (
    ["--database-url", "mysql://root@localhost/symcat", "scans"], ["scans", "-w", "mode = DART"],
    ["scans", "-w", b"sample = '\xff\xfe'"], ["scans", "--limit", "-3"],
    ["embed", "-w", "mode = afm"]))


def _env(settings: Settings) -> dict[str, str]:
    return {**os.environ, "SYMCAT_DATABASE_URL": settings.database_url or ""}


def _in_process(args: list[str | bytes], monkeypatch: pytest.MonkeyPatch,
                capfd: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """`symcat.cli.main()` run with ``args`` as the process's argv: its exit code and
    stderr (logging goes to stderr, as it does in a process of its own)."""
    from symcat.cli import main

    argv = ["symcat", *(os.fsdecode(a) if isinstance(a, bytes) else a for a in args)]
    monkeypatch.setattr(sys, "argv", argv)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    stops = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGHUP)}
    root.handlers.clear()  # so that the command's basicConfig logs to stderr
    capfd.readouterr()
    try:
        main()
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for sig, handler in stops.items():
            signal.signal(sig, handler)
    return code, capfd.readouterr().err


def test_typed_mistakes_are_one_line_errors(catalog: Catalog, monkeypatch: pytest.MonkeyPatch,
                                            capfd: pytest.CaptureFixture[str]) -> None:
    assert len(REAL) == 5
    env = _env(catalog.settings)
    processes = {
        k: subprocess.Popen([*SYMCAT, *MISTAKES[k][0]], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
        for k in REAL
    }
    monkeypatch.setenv("SYMCAT_DATABASE_URL", env["SYMCAT_DATABASE_URL"])
    answers = {k: _in_process(args, monkeypatch, capfd)
               for k, (args, _) in enumerate(MISTAKES) if k not in REAL}
    for k, process in processes.items():
        _, raw = process.communicate(timeout=300)
        answers[k] = process.returncode, raw.decode(errors="replace")
    assert sorted(answers) == list(range(len(MISTAKES)))
    for k, (args, message) in enumerate(MISTAKES):
        code, err = answers[k]
        assert code in (1, 2), (args, err)
        assert "Traceback" not in err, (args, err)
        assert message in err, (args, err)
        if code == 1:
            assert len(err.strip().splitlines()) == 1, (args, err)


def test_a_cut_listing_says_so(catalog: Catalog, fixtures_root: Path) -> None:
    catalog.ingest([fixtures_root])
    env = _env(catalog.settings)
    cut = subprocess.run([*SYMCAT, "scans", "--limit", "2", "--format", "csv"], env=env,
                         capture_output=True, text=True, timeout=300)
    assert cut.returncode == 0, cut.stderr
    assert len(cut.stdout.strip().splitlines()) == 3  # header and two rows, nothing else
    assert "showing the newest 2 of 11 scans" in cut.stderr and "--limit 0" in cut.stderr
    whole = subprocess.run([*SYMCAT, "scans", "--limit", "0", "--format", "csv"], env=env,
                           capture_output=True, text=True, timeout=300)
    assert len(whole.stdout.strip().splitlines()) == 12 and whole.stderr == ""


def test_serve_on_a_taken_port_says_so_and_exits(catalog: Catalog) -> None:
    pytest.importorskip("bokeh")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([*SYMCAT, "serve", "--no-browser", "--port", str(port)],
                                env=_env(catalog.settings), capture_output=True, text=True,
                                timeout=300)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
