"""The source files a DuckDB store keeps beside it: the raw rows of CSV loads, as loaded.

A CSV load keeps the file's bytes in the store's folder (`<store>.files/`, named by their
sha256) instead of copying its text columns into the store: writing those text columns cost
more than the whole typed read of the file (docs/adr/031). The view `raw_<source>__load_<id>`
reads the kept file back with the options it was loaded with, numbering its rows as the load
did, so every event still finds its source row (`events.load_id`, `events.source_row`).

The store's connection searches this folder for relative file names (DuckDB's
`file_search_path`), so the views name their file without a directory and the store and its
folder can be moved together. A file is written before the load's transaction commits and
removed only after no view reads it (`tidy`): a killed load leaves at most a file that the next
writer removes, never a view without its file.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

PART = ".part"
# A kept file's name: the sha256 of its bytes and the extension DuckDB reads it by.
_KEPT = re.compile(r"^[0-9a-f]{64}\.csv(\.gz)?$")
_READS = re.compile(r"read_csv\('([0-9a-f]{64}\.csv(?:\.gz)?)'")
_CHUNK = 1 << 20


def folder_for(store_path: Path) -> Path:
    """The folder of kept files of the store file at `store_path`."""
    return store_path.with_name(store_path.name + ".files")


def temporary_folder() -> Path:
    """A folder for an in-memory store's kept files (removed when the store closes)."""
    return Path(tempfile.mkdtemp(prefix="peacewatch-files-"))


def kept_name(sha: str, source: Path) -> str:
    """The name a file with these bytes is kept under (its compression kept readable)."""
    return f"{sha}.csv.gz" if source.name.lower().endswith(".gz") else f"{sha}.csv"


@dataclass(frozen=True)
class Kept:
    """A kept file: the sha256 of its bytes and its name in the folder.

    `utf8`: every byte was read and the file is UTF-8 text (False when unknown, e.g. gzip).
    """

    sha256: str
    name: str
    utf8: bool


def keep(source: Path, folder: Path, sha: str | None = None) -> Kept:
    """Copy `source` into `folder` under the sha256 of its bytes.

    One read of the file: the bytes are hashed (unless `sha` is given), checked as UTF-8 and
    copied. A file already kept under its name is not written again (its text is then not
    checked). Written to a `.part` file, then renamed.
    """
    folder.mkdir(parents=True, exist_ok=True)
    if sha is not None and (folder / kept_name(sha, source)).is_file():
        return Kept(sha, kept_name(sha, source), utf8=False)
    fd, tmp = tempfile.mkstemp(prefix="keep-", suffix=PART, dir=folder)
    part = Path(tmp)
    digest = hashlib.sha256()
    utf8 = not source.name.lower().endswith(".gz")
    carry = b""
    try:
        with os.fdopen(fd, "wb") as out, source.open("rb") as fh:
            while chunk := fh.read(_CHUNK):
                if sha is None:
                    digest.update(chunk)
                if utf8:
                    utf8, carry = _utf8(carry + chunk)
                out.write(chunk)
        utf8 = utf8 and not carry
        found = sha or digest.hexdigest()
        part.chmod(0o644)
        name = kept_name(found, source)
        target = folder / name
        if target.is_file():
            part.unlink()
        else:
            part.replace(target)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return Kept(found, name, utf8)


def _utf8(data: bytes) -> tuple[bool, bytes]:
    """Whether `data` is UTF-8 up to its last whole character, and the bytes after it.

    Arrow's validator (several times faster than decoding in Python: 700 MB in 0.3 s).
    """
    cut = len(data)
    for back in range(1, min(4, len(data)) + 1):
        lead = data[-back]
        if lead & 0xC0 != 0x80:  # a character starts here: whole if its bytes are all in
            width = 1 if lead < 0x80 else 2 if lead < 0xE0 else 3 if lead < 0xF0 else 4
            cut = len(data) if back >= width else len(data) - back
            break
    whole = data[:cut]
    offsets = pa.array([0, len(whole)], pa.int64()).buffers()[1]
    try:
        pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, pa.py_buffer(whole)]).validate(
            full=True
        )
    except pa.ArrowInvalid:
        return False, b""
    return True, data[cut:]


def read_by(view_sql: str) -> set[str]:
    """The kept files a view's SQL reads."""
    return set(_READS.findall(view_sql))


def tidy(folder: Path, in_use: set[str]) -> list[str]:
    """Remove the kept files no view reads and `.part` files left by killed loads.

    Call it only where no load of this store can be running (the store's one writer, after
    its own load committed or when it opens). Returns the names removed.
    """
    if not folder.is_dir():
        return []
    removed = []
    for path in folder.iterdir():
        left_over = path.name.endswith(PART)
        if left_over or (_KEPT.match(path.name) and path.name not in in_use):
            path.unlink(missing_ok=True)
            removed.append(path.name)
    return sorted(removed)


__all__ = ["Kept", "folder_for", "keep", "kept_name", "read_by", "temporary_folder", "tidy"]
