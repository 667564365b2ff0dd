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
    """Runs one job at a time for a document and reports it in a status `Div`.

    A request made while a job runs waits for it and then runs (the newest such request
    only: an older waiting one is dropped, and logged). Refusing it lost clicks: a
    one-point lasso opens that scan, and "Re-project" pressed at once was turned away
    while the scan was still being opened.
    """

    def __init__(self, doc: Document, status: Div) -> None:
        self.doc = doc
        self.status = status
        self.busy: str | None = None
        self.waiting: tuple[str, Callable[[], Any], Callable[[Any], None],
                            Callable[[BaseException], None] | None] | None = None
        self._started = 0.0
        self._ticker: Any = None

    def run(self, label: str, fn: Callable[[], T], done: Callable[[T], None],
            failed: Callable[[BaseException], None] | None = None) -> bool:
        """Start `fn` in the background; `done(result)` runs on the UI thread. Returns False
        when another job of this session is running: this one then runs after it, unless
        a newer request takes its place first."""
        if self.busy is not None:
            if self.waiting is not None:
                log.info("%s dropped: %s was asked for after it", self.waiting[0], label)
            self.waiting = (label, fn, done, failed)
            self._tick()
            return False
        self._start(label, fn, done, failed)
        return True

    def _start(self, label: str, fn: Callable[[], T], done: Callable[[T], None],
               failed: Callable[[BaseException], None] | None) -> None:
        self.busy = label
        self._started = time.perf_counter()
        self._tick()
        self._ticker = self.doc.add_periodic_callback(self._tick, 250)
        future = submit(fn)
        future.add_done_callback(
            lambda f: self.doc.add_next_tick_callback(partial(self._finish, f, done, failed)))

    def show(self, message: str, *, kind: str = "ok") -> None:
        colour = {"ok": "#2b6e2b", "warn": "#9a6700", "error": "#b00020"}[kind]
        self.status.text = (f'<span style="color:{colour}" data-state="{kind}">'
                            f"{html.escape(message)}</span>")

    def _tick(self) -> None:
        elapsed = time.perf_counter() - self._started
        then = f"; then {self.waiting[0]}" if self.waiting is not None else ""
        self.status.text = (f'{SPINNER}<span data-state="busy">{html.escape(self.busy or "")}'
                            f" … {elapsed:.1f} s{html.escape(then)}</span>")

    def _finish(self, future: Future[T], done: Callable[[T], None],
                failed: Callable[[BaseException], None] | None) -> None:
        label, elapsed = self.busy, time.perf_counter() - self._started
        if self._ticker is not None:
            self.doc.remove_periodic_callback(self._ticker)
            self._ticker = None
        self.busy = None
        error = future.exception()
        try:
            if error is not None:
                log.info("%s failed: %s", label, error, exc_info=error)
                if failed is not None:
                    failed(error)
                self.show(f"{label} failed: {error}", kind="error")
            else:
                self.show(f"{label}: done in {elapsed:.1f} s")
                done(future.result())
        finally:  # the waiting request runs even when showing this one's result failed
            if self.waiting is not None and self.busy is None:  # `done` may start one
                waiting, self.waiting = self.waiting, None
                self._start(*waiting)
