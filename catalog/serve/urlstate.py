"""The view in the address bar: filter, projection (its id: the level shown, with its
lineage), open scan, channel and colouring. Opening such a link rebuilds the same view;
the address is updated in place (history.replaceState) as the view changes."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from bokeh.models import CustomJS, Div

KEYS = ("where", "projection", "scan", "channel", "colour")
UPDATE_JS = """
const query = cb_obj.text;
const params = new URLSearchParams(window.location.search);
const token = params.get("token");
const next = new URLSearchParams(query);
if (token) next.set("token", token);
const text = next.toString();
window.history.replaceState(null, "", window.location.pathname + (text ? "?" + text : ""));
"""


@dataclass(frozen=True)
class ViewState:
    where: str | None = None
    projection: str | None = None
    scan: str | None = None
    channel: str | None = None
    colour: str | None = None

    @classmethod
    def from_arguments(cls, arguments: dict[str, list[bytes]] | None) -> ViewState:
        """From a page request's query arguments (Bokeh's `session_context.request`)."""
        values: dict[str, Any] = {}
        for key in KEYS:
            raw = (arguments or {}).get(key)
            if raw:
                text = raw[0].decode("utf-8", "replace").strip()
                values[key] = text or None
        return cls(**values)

    def with_(self, **changes: Any) -> ViewState:
        return replace(self, **changes)

    def query(self) -> str:
        return urlencode({k: v for k in KEYS if (v := getattr(self, k))})


class AddressBar:
    """A hidden Div whose text is the query string; changing it rewrites the address."""

    def __init__(self, state: ViewState) -> None:
        self.state = state
        self.div = Div(text=state.query(), name="url-state", visible=False)
        self.div.js_on_change("text", CustomJS(code=UPDATE_JS))

    def update(self, **changes: Any) -> None:
        self.state = self.state.with_(**changes)
        self.div.text = self.state.query()
