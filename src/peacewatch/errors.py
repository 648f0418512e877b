"""peacewatch's own exception types.

Every message names the file and, where known, the row, field and value.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


class PeacewatchError(Exception):
    """Base class of every error peacewatch raises on purpose.

    `tell` keeps the message's words apart from its values (`template`, `values`), so a page
    can show it in the reader's language from the message catalogs.
    """

    template: str | None = None
    values: dict[str, object] = {}  # noqa: RUF012 - replaced per instance by `tell`

    @classmethod
    def tell(cls, template: str, /, **values: object) -> PeacewatchError:
        """The error with message `template` filled from `values` (English when printed)."""
        exc = cls(template.format(**values) if values else template)
        exc.template, exc.values = template, values
        return exc


class SourceFormatError(PeacewatchError):
    """A file whose header fits none of the layouts a loader knows (raised before reading)."""

    def __init__(
        self,
        path: Path | str,
        source: str,
        missing: Iterable[str],
        known_formats: dict[str, Iterable[str]],
    ) -> None:
        self.path = Path(path)
        self.source = source
        self.missing = sorted(missing)
        self.known_formats = {k: sorted(v) for k, v in known_formats.items()}
        formats = "; ".join(
            f"{name} (needs {', '.join(cols)})" for name, cols in self.known_formats.items()
        )
        super().__init__(
            f"{self.path}: not a {source} file: missing columns {', '.join(self.missing)}. "
            f"Formats known for {source}: {formats}"
        )


class RowError(PeacewatchError):
    """One bad row: file, row number (header = row 1), field, value and reason."""

    def __init__(self, path: Path | str, row: int, field: str, value: object, reason: str) -> None:
        self.path = Path(path)
        self.row = row
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(f"{self.path}, row {row}, field {field!r}, value {value!r}: {reason}")


class UnknownSourceError(PeacewatchError):
    """A source name the loader registry does not know."""


class StoreError(PeacewatchError):
    """The store cannot be opened or is of a newer schema than this package."""


class DownloadError(PeacewatchError):
    """A download failed; nothing was loaded."""
