"""Export of a selection as CSV or Parquet, downloaded by the browser.

The file is built off the UI thread; its bytes reach the browser through a one-row data
source whose change triggers a download in JavaScript (no extra HTTP route to secure).
"""

from __future__ import annotations

import base64
import io
from typing import Literal

import pandas as pd
from bokeh.models import Button, ColumnDataSource, CustomJS, Row

Format = Literal["csv", "parquet"]
MIME = {"csv": "text/csv", "parquet": "application/vnd.apache.parquet"}

DOWNLOAD_JS = """
const name = source.data.name[0];
if (!name) return;
const bytes = Uint8Array.from(atob(source.data.b64[0]), c => c.charCodeAt(0));
const link = document.createElement("a");
link.href = URL.createObjectURL(new Blob([bytes], {type: source.data.mime[0]}));
link.download = name;
document.body.appendChild(link);
link.click();
link.remove();
"""


def export_bytes(frame: pd.DataFrame, fmt: Format) -> bytes:
    """The scans of `frame` (ids as text, then coordinates and metadata) as a file."""
    frame = frame.assign(id=frame["id"].astype(str))
    if fmt == "csv":
        return frame.to_csv(index=False).encode("utf-8")
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


class ExportPanel:
    """Two buttons; `deliver(name, content, fmt)` hands a finished file to the browser."""

    def __init__(self) -> None:
        self.csv = Button(label="Export CSV", name="export-csv", width=110)
        self.parquet = Button(label="Export Parquet", name="export-parquet", width=120)
        self.source = ColumnDataSource({"name": [""], "b64": [""], "mime": [""]},
                                       name="export-source")
        self.source.js_on_change("data", CustomJS(args={"source": self.source},
                                                  code=DOWNLOAD_JS))
        self.layout = Row(self.csv, self.parquet)

    def deliver(self, name: str, content: bytes, fmt: Format) -> None:
        self.source.data = {"name": [name], "b64": [base64.b64encode(content).decode("ascii")],
                            "mime": [MIME[fmt]]}
