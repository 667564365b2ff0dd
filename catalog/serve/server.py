"""Start the dashboard's Bokeh server in this process.

Bound to localhost it is open to this machine's users only, as Jupyter's default is.
Bound to any other address it requires a token: one is generated, printed as part of
the URL, and every page request without it (or the cookie it sets) is refused with 403.
"""

from __future__ import annotations

import hmac
import secrets
import webbrowser
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from symcat.serve import require_bokeh

require_bokeh()

from bokeh.server.auth_provider import AuthProvider  # noqa: E402
from bokeh.server.server import Server  # noqa: E402
from tornado.web import HTTPError, RequestHandler  # noqa: E402
from tornado.websocket import WebSocketHandler  # noqa: E402

from symcat.client import Catalog  # noqa: E402
from symcat.serve.app import make_app  # noqa: E402
from symcat.serve.routes import patterns  # noqa: E402

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
COOKIE = "symcat_token"
REFUSED_PATH = "/token-required"


@dataclass(frozen=True)
class Started:
    """A running server: its URL (with the token when one is required) and the server."""

    url: str
    token: str | None
    server: Any


class TokenAuth(AuthProvider):
    """Pages need `?token=...` once; it is then kept in a same-site cookie for the
    session's websocket and later requests."""

    def __init__(self, token: str) -> None:
        self._token = token
        super().__init__()

    @property
    def get_user_async(self) -> Callable[[RequestHandler], Awaitable[str | None]]:
        # Async, because bokeh runs it from `prepare`, before the handler's method: a
        # websocket without the token is refused there with a plain 403, before the
        # upgrade (its `open` could only try to redirect, a logged server error).
        async def user(handler: RequestHandler) -> str | None:
            given = handler.get_argument("token", None)
            if given is not None and hmac.compare_digest(given, self._token):
                if not isinstance(handler, WebSocketHandler):  # a websocket has no cookies
                    handler.set_cookie(COOKIE, given, httponly=True, samesite="Strict")
                return "token"
            cookie = handler.get_cookie(COOKIE)
            if cookie is not None and hmac.compare_digest(cookie, self._token):
                return "token"
            if isinstance(handler, WebSocketHandler):
                raise HTTPError(403, reason="symcat dashboard: token required")
            return None

        return user

    @property
    def login_url(self) -> str:
        return REFUSED_PATH

    @property
    def login_handler(self) -> type[RequestHandler]:
        return RefusedHandler


class RefusedHandler(RequestHandler):
    """Where requests without the token end: 403 with the reason."""

    def get(self) -> None:
        raise HTTPError(403, reason="symcat dashboard: token required (use the URL printed "
                                    "by `symcat serve`)")


def start(catalog: Catalog, *, port: int = 5006, host: str = "127.0.0.1",
          where: str | None = None, model: str | None = None) -> Started:
    """Build and start the server (call `run_forever` next). A token is required unless
    `host` is a localhost address."""
    token = None if host in LOCAL_HOSTS else secrets.token_urlsafe(24)
    options: dict[str, Any] = {"port": port, "address": host}
    if token is None:
        options["allow_websocket_origin"] = [f"localhost:{port}", f"127.0.0.1:{port}"]
    else:
        # any Host name may reach a public bind; the token (a same-site cookie) guards it
        options["allow_websocket_origin"] = ["*"]
        options["auth_provider"] = TokenAuth(token)
    server = Server({"/": make_app(catalog, where=where, model=model)},
                    extra_patterns=patterns(catalog, token), **options)
    server.start()
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    url = f"http://{shown}:{server.port}/" + (f"?token={token}" if token else "")
    return Started(url, token, server)


def run_forever(started: Started, *, open_browser: bool = False) -> None:
    """Serve until interrupted, optionally opening the dashboard in a browser first."""
    if open_browser:
        started.server.io_loop.add_callback(webbrowser.open, started.url)
    started.server.io_loop.start()
