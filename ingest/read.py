"""One file in, one `ScanRecord` or one `Refused` out; never an exception.

Classification of an accepted wave:

* image: a numeric 2-D or 3-D wave (both image axes >= 2 points) that is not
  an Asylum curve, with whatever metadata its note holds;
* force_curve / spectrum: an Asylum wave of 1 or 2 dimensions (points x
  channels) whose note has force keys (NumOfSegments, ForceDist, Direction,
  TriggerChannel, ARDFForceMap) or whose channels are Raw/Defl/ZSnsr...;
  spectrum when ARDoIVCurve is on or a channel is a bias;
* wave: any other numeric wave (1-D test waves, 4-D waves).

Refused: unknown suffixes, unreadable files, text, complex and empty waves,
truncated or corrupt files (see `readers.ibw.inspect_header`), and documents
that fail the schema (a symcat bug; the reason says so).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from symcat.ingest.files import (
    DEFAULT_MAX_FILE_BYTES,
    NotRead,
    display_path,
    path_bytes,
    read_regular,
)
from symcat.ingest.normalize import normalize
from symcat.ingest.readers import ReadError, reader_for, suffixes
from symcat.ingest.records import Refused, ScanRecord
from symcat.ingest.site import SiteConfig
from symcat.ingest.validate import validate_document

_DEFAULT_SITE = SiteConfig()


def _one_line(text: str, limit: int = 240) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def read_file(
    path: str | os.PathLike[str],
    site: SiteConfig | None = None,
    *,
    data: bytes | None = None,
    file_sha256: str | None = None,
    max_bytes: int = DEFAULT_MAX_FILE_BYTES,
) -> ScanRecord | Refused:
    """Read and normalize one file.

    `data`, when given, are the file's bytes (the file is then not opened);
    `file_sha256`, when given with `data`, is their SHA-256 as the caller
    already computed it, so the bytes are not hashed twice. Only a regular file
    of at most `max_bytes` is read (`ingest.files`). A name that is not UTF-8
    is shown with backslash escapes; its bytes are kept in the result.
    """
    site = site or _DEFAULT_SITE
    real_path = os.path.abspath(os.fspath(path))
    source_path = display_path(real_path)
    raw_name = path_bytes(real_path)
    suffix = Path(source_path).suffix
    reader = reader_for(suffix)
    sha = None
    if data is not None:
        sha = file_sha256 or hashlib.sha256(data).hexdigest()
    size = len(data) if data is not None else None
    if reader is None:
        known = ", ".join(suffixes())
        what = f"'{suffix}'" if suffix else "without a suffix"
        return Refused(source_path, sha, f"unsupported file type {what} (readers exist for: "
                       f"{known})", size, raw_name)
    if data is None:
        content = read_regular(real_path, max_bytes)
        if isinstance(content, NotRead):
            return Refused(source_path, None, content.reason, None, raw_name)
        data = content
        sha, size = hashlib.sha256(data).hexdigest(), len(data)
    assert sha is not None and size is not None
    try:
        raw = reader(data)
    except ReadError as exc:
        return Refused(source_path, sha, _one_line(str(exc)), size, raw_name)
    except (KeyboardInterrupt, SystemExit, MemoryError):
        raise
    except BaseException as exc:  # a reader bug must not stop a folder's ingest
        return Refused(source_path, sha, _one_line(
            f"reader failed on this file (a symcat bug, please report): "
            f"{type(exc).__name__}: {exc}"), size, raw_name)
    try:
        document, arrays = normalize(
            raw, source_path=source_path, file_name=Path(source_path).name,
            file_sha256=sha, file_size_bytes=size, site=site,
        )
    except (KeyboardInterrupt, SystemExit, MemoryError):
        raise
    except BaseException as exc:
        return Refused(source_path, sha, _one_line(
            f"could not build the scan document (a symcat bug, please report): "
            f"{type(exc).__name__}: {exc}"), size, raw_name)
    errors = validate_document(document)
    if errors:
        return Refused(source_path, sha, _one_line(
            f"scan document fails schema {document.get('schema_version')} (a symcat bug, "
            f"please report): {errors[0]}" + (f" (+{len(errors) - 1} more)" if len(errors) > 1
                                              else "")), size, raw_name)
    return ScanRecord(document=document, arrays=arrays, warnings=tuple(document["warnings"]),
                      source_path_bytes=raw_name)
