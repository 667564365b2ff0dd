"""symcat.serve: the interactive dashboard (`symcat serve`), a Bokeh server app (the `serve` extra).

It talks to the catalog only through `symcat.client.Catalog` and the projection types it
returns; nothing else in symcat imports it.
"""

from __future__ import annotations

from types import ModuleType


def require_bokeh() -> ModuleType:
    """bokeh, or an error that says which extra to install."""
    try:
        import bokeh
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ImportError(
            "the dashboard needs bokeh: pip install 'symcat[serve]'") from exc
    return bokeh
