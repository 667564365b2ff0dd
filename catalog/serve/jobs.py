"""Heavy work (projections, neighbours, exports) runs off Bokeh's UI thread.

One worker thread is shared by every browser session: the machine it runs on may have
two cores, and a second UMAP at the same time would only slow both. Results come back to
the document through `add_next_tick_callback`, the one safe way to touch a Bokeh
document from another thread; a status line shows what runs and for how long.
"""

from __future__ import annotations

import html
import logging
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

from bokeh.document import Document
from bokeh.models import Div

T = TypeVar("T")
log = logging.getLogger(__name__)
_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="symcat-serve")

SPINNER = ('<span class="symcat-spinner" style="display:inline-block;width:12px;height:12px;'
           'border:2px solid #999;border-top-color:#1f77b4;border-radius:50%;'
           'animation:symcat-spin 0.8s linear infinite;margin-right:6px"></span>'
           '<style>@keyframes symcat-spin{to{transform:rotate(360deg)}}</style>')


def submit(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
    """Run `fn` on the shared worker thread (also used for the warm-up at start)."""
    return _executor.submit(fn, *args, **kwargs)


class Jobs:
    """Runs one job at a time for a document and reports it in a status `Div`."""

    def __init__(self, doc: Document, status: Div) -> None:
        self.doc = doc
        self.status = status
        self.busy: str | None = None
        self._started = 0.0
        self._ticker: Any = None

    def run(self, label: str, fn: Callable[[], T], done: Callable[[T], None],
            failed: Callable[[BaseException], None] | None = None) -> bool:
        """Start `fn` in the background; `done(result)` runs on the UI thread. Returns False
        (and says so) when another job of this session is still running."""
        if self.busy is not None:
            self.show(f"still busy: {self.busy}", kind="warn")
            return False
        self.busy = label
        self._started = time.perf_counter()
        self._tick()
        self._ticker = self.doc.add_periodic_callback(self._tick, 250)
        future = submit(fn)
        future.add_done_callback(
            lambda f: self.doc.add_next_tick_callback(partial(self._finish, f, done, failed)))
        return True

    def show(self, message: str, *, kind: str = "ok") -> None:
        colour = {"ok": "#2b6e2b", "warn": "#9a6700", "error": "#b00020"}[kind]
        self.status.text = (f'<span style="color:{colour}" data-state="{kind}">'
                            f"{html.escape(message)}</span>")

    def _tick(self) -> None:
        elapsed = time.perf_counter() - self._started
        self.status.text = (f'{SPINNER}<span data-state="busy">{html.escape(self.busy or "")}'
                            f" … {elapsed:.1f} s</span>")

    def _finish(self, future: Future[T], done: Callable[[T], None],
                failed: Callable[[BaseException], None] | None) -> None:
        label, elapsed = self.busy, time.perf_counter() - self._started
        if self._ticker is not None:
            self.doc.remove_periodic_callback(self._ticker)
            self._ticker = None
        self.busy = None
        error = future.exception()
        if error is not None:
            log.info("%s failed: %s", label, error, exc_info=error)
            if failed is not None:
                failed(error)
            self.show(f"{label} failed: {error}", kind="error")
            return
        self.show(f"{label}: done in {elapsed:.1f} s")
        done(future.result())
