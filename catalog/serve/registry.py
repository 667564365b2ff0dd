"""Maps shown in browsers, by key, so that a tooltip or a tile can ask for "point i of map
k" over HTTP: the page then carries coordinates only (binary arrays), never a thumbnail or
an id per point, and thumbnails are fetched lazily, one per hover."""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict

import pandas as pd

MAX_MAPS = 256


class MapRegistry:
    """The last `MAX_MAPS` maps' frames (id, x, y, metadata), shared by all sessions."""

    def __init__(self, limit: int = MAX_MAPS) -> None:
        self._maps: OrderedDict[str, pd.DataFrame] = OrderedDict()
        self._lock = threading.Lock()
        self._limit = limit

    def add(self, frame: pd.DataFrame) -> str:
        key = secrets.token_urlsafe(9)
        with self._lock:
            self._maps[key] = frame.reset_index(drop=True)
            while len(self._maps) > self._limit:
                self._maps.popitem(last=False)
        return key

    def row(self, key: str, index: int) -> pd.Series | None:
        with self._lock:
            frame = self._maps.get(key)
            if frame is not None:
                self._maps.move_to_end(key)
        if frame is None or not 0 <= index < len(frame):
            return None
        return frame.iloc[index]


MAPS = MapRegistry()
