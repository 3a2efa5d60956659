"""Validate a ratings file in the MovieLens layout with vectorised pandas.

Columns: ``userId``, ``itemId`` or ``movieId``, ``rating``, optional ``timestamp``
(Unix seconds, UTC). Issues per 1-based row:

================  ========  ====================================================
reason            action    rule
================  ========  ====================================================
missing_user      rejected  empty userId
missing_item      rejected  empty itemId/movieId
bad_rating        rejected  rating is not a finite number
superseded_rating rejected  the same (user, item) is rated again later (by
                            timestamp, then row); the latest rating is kept
bad_timestamp     repaired  timestamp present but not Unix seconds: rated_at empty
rating_off_scale  flagged   rating outside the 0.5..5 star scale (kept)
================  ========  ====================================================
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .files import FileError, IssueLog, read_csv_text, rename_columns

ALIASES = {
    "userid": "userId",
    "user": "userId",
    "itemid": "itemId",
    "movieid": "itemId",
    "item": "itemId",
    "rating": "rating",
    "timestamp": "timestamp",
}
REQUIRED = ["userId", "itemId", "rating"]
SCALE = (0.5, 5.0)


@dataclass
class RatingsData:
    """ratings: row, user, item, value (float), rated_at (UTC Timestamp or NaT)."""

    rows_total: int
    sha256: str
    encoding: str
    ratings: pd.DataFrame
    issues: IssueLog
    titles: dict[str, str] = field(default_factory=dict)
    genres: dict[str, str] = field(default_factory=dict)
    titles_found: bool = False


def _titles(path: Path) -> tuple[dict[str, str], dict[str, str], bool]:
    movies = path.with_name("movies.csv")
    if not movies.is_file() or movies.resolve() == path.resolve():
        return {}, {}, False
    frame = read_csv_text(movies).frame
    if not {"movieId", "title"} <= set(frame.columns):
        return {}, {}, False
    ids = frame["movieId"].str.strip()
    titles = dict(zip(ids, frame["title"].str.strip(), strict=True))
    genres = {}
    if "genres" in frame.columns:
        first = frame["genres"].str.split("|").str[0].str.strip()
        genres = {
            i: g for i, g in zip(ids, first, strict=True) if g and not g.startswith("(")
        }
    return titles, genres, True


def parse_ratings(path) -> RatingsData:
    """Read and validate a ratings file; see the module docstring.

    Raises
    ------
    FileError
        The file is missing/unreadable or lacks a required column (named).
    """
    path = Path(path)
    csv = read_csv_text(path)
    # plain Python strings: numeric coercion below must turn bad text into NaN
    df = rename_columns(csv.frame, ALIASES, REQUIRED, what="ratings").astype(object)
    if "timestamp" not in df.columns:
        df["timestamp"] = ""
    log = IssueLog()
    rows = pd.Series(np.arange(1, len(df) + 1, dtype=np.int64), index=df.index)
    user = df["userId"].str.strip()
    item = df["itemId"].str.strip()
    value = pd.to_numeric(df["rating"].str.strip(), errors="coerce")
    keep = pd.Series(True, index=df.index)
    for reason, fld, bad, raw in (
        ("missing_user", "userId", user.eq(""), user),
        ("missing_item", "itemId", item.eq(""), item),
        ("bad_rating", "rating", ~np.isfinite(value.fillna(np.nan)), df["rating"]),
    ):
        bad = bad & keep
        log.add(rows[bad], action="rejected", reason=reason, field=fld, value=raw[bad])
        keep &= ~bad
    ts_txt = df["timestamp"].str.strip()
    secs = pd.to_numeric(ts_txt, errors="coerce")
    bad_ts = keep & ts_txt.ne("") & (secs.isna() | secs.lt(0) | secs.gt(4e9))
    log.add(
        rows[bad_ts],
        action="repaired",
        reason="bad_timestamp",
        field="timestamp",
        value=ts_txt[bad_ts],
        message="not Unix seconds; rated_at left empty",
    )
    secs = secs.mask(bad_ts)
    rated_at = pd.to_datetime(secs, unit="s", utc=True, errors="coerce")
    frame = pd.DataFrame(
        {"row": rows, "user": user, "item": item, "value": value, "rated_at": rated_at}
    )[keep]
    order = frame.sort_values(["user", "item", "rated_at", "row"], na_position="first")
    later = order.duplicated(["user", "item"], keep="last")
    kept_row = order.groupby(["user", "item"])["row"].transform("last")
    log.add(
        order["row"][later],
        action="rejected",
        reason="superseded_rating",
        field="rating",
        value=order["value"][later].astype(str),
        message="rated again at row " + kept_row[later].astype(str),
    )
    frame = frame.drop(index=order.index[later])
    off = frame["value"].lt(SCALE[0]) | frame["value"].gt(SCALE[1])
    log.add(
        frame["row"][off],
        action="flagged",
        reason="rating_off_scale",
        field="rating",
        value=frame["value"][off].astype(str),
    )
    titles, genres, found = _titles(path)
    return RatingsData(
        rows_total=len(df),
        sha256=csv.sha256,
        encoding=csv.encoding,
        ratings=frame.reset_index(drop=True),
        issues=log,
        titles=titles,
        genres=genres,
        titles_found=found,
    )


__all__ = ["FileError", "RatingsData", "parse_ratings"]
