"""`symcat serve --host` other than localhost requires the token it prints."""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from serve_browser import wait_for_points
from serve_process import ServerProcess

from symcat.client import Catalog


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


def test_public_host_requires_the_printed_token(serve_catalog: Catalog, chromium: Any) -> None:
    with ServerProcess.start(serve_catalog.settings, "--host", "0.0.0.0") as server:
        parts = urlsplit(server.url)
        assert parts.query.startswith("token=") and len(parts.query) > len("token=") + 20
        assert any("token is required" in line for line in server.output)
        base = f"http://127.0.0.1:{server.port}/"

        status, body = fetch(base)
        assert status == 403 and "token required" in body
        assert fetch(base + "?token=wrong")[0] == 403
        status, body = fetch(f"{base}?{parts.query}")
        assert status == 200 and "<title>symcat dashboard</title>" in body


        # the token's cookie lets the page's websocket in: the dashboard really works
        page = chromium.new_page()
        page.goto(f"{base}?{parts.query}")
        assert wait_for_points(page, "root") == serve_catalog.count()
        page.close()


def test_localhost_needs_no_token(dashboard: ServerProcess) -> None:
    assert "token" not in dashboard.url and urlsplit(dashboard.url).hostname == "127.0.0.1"
    status, body = fetch(dashboard.url)
    assert status == 200 and "<title>symcat dashboard</title>" in body


def test_websocket_without_the_token_gets_a_plain_403(serve_catalog: Catalog) -> None:
    """Refused at the handshake, before the upgrade: no server error in the log."""
    import base64
    import http.client
    import os

    with ServerProcess.start(serve_catalog.settings, "--host", "0.0.0.0") as server:
        for query in ("", "?token=wrong"):
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
            conn.request("GET", f"/ws{query}", headers={
                "Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
                "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode(),
                "Origin": f"http://127.0.0.1:{server.port}",
            })
            response = conn.getresponse()
            assert response.status == 403, (query, response.status)
            conn.close()
        assert fetch(f"http://127.0.0.1:{server.port}/")[0] == 403  # pages as before
        assert fetch(server.url)[0] == 200
    log = "".join(server.output)
    assert "RuntimeError" not in log and "Traceback" not in log, log
