"""`symcat serve` as a real subprocess on a free port, stopped when done."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

from symcat.config import Settings

NUMBA_CACHE = Path(tempfile.gettempdir()) / "symcat-numba-tests"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ServerProcess:
    process: subprocess.Popen[str]
    url: str
    port: int
    output: list[str] = field(default_factory=list)

    @classmethod
    def start(cls, settings: Settings, *args: str, model: str = "test.serve",
              timeout: float = 120.0, env: dict[str, str] | None = None) -> Self:
        """Start it and wait until it prints its URL and answers HTTP; `env` is added to
        this process's environment (e.g. PYTHONPATH for another version's code)."""
        port = free_port()
        where = ["--database-url", settings.database_url] if settings.database_url else []
        command = [sys.executable, "-m", "symcat.cli", *where, "--data-dir",
                   str(settings.data_dir), "serve", "--port", str(port), "--model", model,
                   "--no-browser", *args]
        full = {**os.environ, "NUMBA_CACHE_DIR": os.environ.get("NUMBA_CACHE_DIR",
                                                                str(NUMBA_CACHE)), **(env or {})}
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   text=True, env=full)
        output: list[str] = []
        threading.Thread(target=lambda: output.extend(iter(process.stdout.readline, "")),
                         daemon=True).start()  # type: ignore[union-attr]
        deadline = time.monotonic() + timeout
        url = None
        while url is None:
            url = next((line.split(": ", 1)[1].strip() for line in output
                        if line.startswith("symcat dashboard: ")), None)
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("symcat serve did not start:\n" + "".join(output))
            time.sleep(0.1)
        server = cls(process, url, port, output)
        server.wait_until_answering(deadline)
        return server

    def wait_until_answering(self, deadline: float) -> None:
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/static/js/bokeh.min.js",
                                            timeout=5):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
