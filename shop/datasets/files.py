"""Opening a CSV file of any supported encoding and collecting per-row issues."""

from __future__ import annotations

import gzip
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

UTF8_BOM = b"\xef\xbb\xbf"


class FileError(ValueError):
    """The file cannot be imported at all (missing, unreadable, wrong columns).

    ``field`` names the column or parameter at fault when there is one.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass
class CsvFile:
    """A decoded CSV table, every column as text, and facts about the file."""

    frame: pd.DataFrame
    sha256: str  # of the decompressed bytes, so .csv and .csv.gz of one file match
    encoding: str  # utf-8, utf-8-sig (with BOM), cp1252 or latin-1
    compressed: bool


def _raw_bytes(path: Path) -> tuple[bytes, bool]:
    if not path.is_file():
        raise FileError(f"file not found: {path}", field="path")
    raw = path.read_bytes()
    compressed = raw[:2] == b"\x1f\x8b"
    if compressed:
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise FileError(f"{path}: broken gzip data ({exc})", field="path") from None
    return raw, compressed


def content_sha256(path: str | Path) -> str:
    """sha256 of the file's decompressed bytes (the import idempotency key).

    Raises
    ------
    FileError
        The file is missing or its gzip data is broken.
    """
    return hashlib.sha256(_raw_bytes(Path(path))[0]).hexdigest()


def _string_dtype():
    """Arrow-backed strings when pyarrow is installed (vectorised ``.str`` methods,
    several times faster on 0.5 M rows), else plain Python strings."""
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return str
    return pd.StringDtype("pyarrow")


def _decode(raw: bytes, encoding: str) -> tuple[str, str]:
    """``(encoding used, text)``: UTF-8, else cp1252, else Latin-1."""
    for candidate in (encoding, "cp1252"):
        try:
            return candidate, raw.decode(
                "utf-8" if candidate == "utf-8-sig" else candidate
            )
        except UnicodeDecodeError:
            continue
    return "latin-1", raw.decode("latin-1")


C1_CONTROLS = r"[\x80-\x9f]"


def flag_control_characters(
    log: IssueLog, frame: pd.DataFrame, rows: pd.Series, columns: list[str]
) -> None:
    """Flag every row whose text in ``columns`` holds a C1 control character
    (U+0080-U+009F): left by bytes no encoding tried could map (see
    :func:`read_csv_text`), they are kept as read and flagged ``control_characters``
    so someone can look at the row."""
    for column in columns:
        bad = frame[column].str.contains(C1_CONTROLS, regex=True)
        if bad.any():
            log.add(
                rows[bad],
                action="flagged",
                reason="control_characters",
                field=column,
                value=frame[column][bad],
                message="text holds control characters (bytes undefined in "
                "Windows-1252); check the file's encoding",
            )


def read_csv_text(path: str | Path) -> CsvFile:
    """Read ``path`` (``.csv`` or gzip) as a table of strings.

    UTF-8 with or without BOM is tried first; bytes that are not UTF-8 are read as
    Windows-1252 (``cp1252``, what Excel on Windows writes: ``€ – ’ “ ”`` at 0x80-0x9F),
    and only a file with one of the five bytes cp1252 leaves undefined falls back to
    Latin-1 (which decodes any byte; those bytes become C1 control characters, see
    :func:`flag_control_characters`). ``CsvFile.encoding`` names the one used.
    Column names are stripped of blanks.

    Raises
    ------
    FileError
        The file is missing, empty, or not parseable as CSV.
    """
    path = Path(path)
    raw, compressed = _raw_bytes(path)
    digest = hashlib.sha256(raw).hexdigest()
    if raw.startswith(UTF8_BOM):
        encoding, raw = "utf-8-sig", raw[len(UTF8_BOM) :]
    else:
        encoding = "utf-8"
    encoding, text = _decode(raw, encoding)
    if not text.strip():
        raise FileError(f"{path} is empty", field="path")
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            dtype=_string_dtype(),
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=True,
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise FileError(
            f"{path}: not a readable CSV file ({exc})", field="path"
        ) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return CsvFile(frame=frame, sha256=digest, encoding=encoding, compressed=compressed)


def rename_columns(
    frame: pd.DataFrame, aliases: dict[str, str], required: list[str], *, what: str
) -> pd.DataFrame:
    """Rename columns by case-insensitive aliases; check the required ones exist.

    Raises
    ------
    FileError
        Naming the first missing column (and listing all missing ones).
    """
    mapping = {}
    for col in frame.columns:
        key = col.lower().replace("_", "").replace(" ", "")
        if key in aliases and aliases[key] not in mapping.values():
            mapping[col] = aliases[key]
    frame = frame.rename(columns=mapping)
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise FileError(
            f"{what} file lacks column {missing[0]!r}"
            + (f" (also missing: {', '.join(missing[1:])})" if missing[1:] else "")
            + f"; found columns: {', '.join(map(str, frame.columns))}",
            field=missing[0],
        )
    return frame


@dataclass
class IssueLog:
    """Per-row issues gathered vectorised; one DataFrame chunk per (reason, mask)."""

    chunks: list[pd.DataFrame] = field(default_factory=list)

    def add(
        self,
        rows: pd.Series | np.ndarray,
        *,
        action: str,
        reason: str,
        field: str = "",
        value: pd.Series | np.ndarray | str = "",
        message: pd.Series | np.ndarray | str = "",
    ) -> None:
        """Record ``reason`` for every 1-based row number in ``rows``."""
        rows = np.asarray(rows, dtype=np.int64)
        if rows.size == 0:
            return
        self.chunks.append(
            pd.DataFrame(
                {
                    "row_number": rows,
                    "action": action,
                    "reason": reason,
                    "field": field,
                    "value": np.asarray(value, dtype=object)
                    if not isinstance(value, str)
                    else value,
                    "message": np.asarray(message, dtype=object)
                    if not isinstance(message, str)
                    else message,
                }
            )
        )

    def frame(self) -> pd.DataFrame:
        cols = ["row_number", "action", "reason", "field", "value", "message"]
        if not self.chunks:
            return pd.DataFrame(columns=cols)
        out = pd.concat(self.chunks, ignore_index=True)
        out["value"] = out["value"].astype(str).str.slice(0, 255)
        out["message"] = out["message"].astype(str).str.slice(0, 255)
        return out.sort_values(
            ["row_number", "reason"], kind="stable", ignore_index=True
        )

    def counts(self) -> dict[str, dict[str, int]]:
        """``{action: {reason: rows}}``."""
        out: dict[str, dict[str, int]] = {}
        for chunk in self.chunks:
            action, reason = chunk["action"].iat[0], chunk["reason"].iat[0]
            bucket = out.setdefault(action, {})
            bucket[reason] = bucket.get(reason, 0) + len(chunk)
        return out

    def rows_with(self, action: str) -> set[int]:
        rows: set[int] = set()
        for chunk in self.chunks:
            if chunk["action"].iat[0] == action:
                rows.update(chunk["row_number"].tolist())
        return rows
