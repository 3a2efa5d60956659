"""The MovieLens-layout ratings importer."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.exceptions import InvalidInput
from shop.models import Customer, ImportIssue, ImportReport, Product, Rating
from shop.services.imports import ratings_import

pytestmark = pytest.mark.django_db

RATINGS = (
    "userId,movieId,rating,timestamp\r\n"
    "1,1,4.0,964982703\r\n"
    "1,3,4.0,964981247\r\n"
    "1,3,2.5,964990000\r\n"  # later rating of the same pair: kept, row 2 superseded
    "2,1,five,964982703\r\n"
    "2,50,7,\r\n"
    "3,1,3.5,yesterday\r\n"
)
MOVIES = (
    "movieId,title,genres\r\n"
    "1,Toy Story (1995),Adventure|Animation\r\n"
    "3,Grumpier Old Men (1995),Comedy|Romance\r\n"
)


@pytest.fixture
def ratings_dir(tmp_path):
    (tmp_path / "ratings.csv").write_text(RATINGS, encoding="utf-8", newline="")
    (tmp_path / "movies.csv").write_text(MOVIES, encoding="utf-8", newline="")
    return tmp_path


def test_ratings_import_with_titles_and_issues(ratings_dir):
    report = ratings_import(path=ratings_dir / "ratings.csv")
    assert report.status == ImportReport.Status.SUCCEEDED
    assert (report.rows_total, report.rows_imported, report.rows_rejected) == (6, 4, 2)
    issues = set(
        ImportIssue.objects.filter(report=report).values_list("row_number", "reason")
    )
    assert issues == {
        (2, "superseded_rating"),
        (4, "bad_rating"),
        (5, "rating_off_scale"),
        (6, "bad_timestamp"),
    }
    toy = Product.objects.get(source="movielens", stock_code="1")
    assert toy.description == "Toy Story (1995)" and toy.category.name == "Adventure"
    assert Product.objects.get(source="movielens", stock_code="50").description == (
        "item 50"
    )
    kept = Rating.objects.get(customer__external_id="1", product__stock_code="3")
    assert kept.value == 2.5
    assert kept.rated_at == datetime.fromtimestamp(964990000, tz=UTC)
    assert Rating.objects.get(customer__external_id="3").rated_at is None
    assert Customer.objects.filter(source="movielens").count() == 3


def test_ratings_reimport_and_overlap(ratings_dir):
    ratings_import(path=ratings_dir / "ratings.csv")
    again = ratings_import(path=ratings_dir / "ratings.csv")
    assert again.status == ImportReport.Status.SKIPPED
    more = ratings_dir / "more.csv"
    more.write_text("userId,itemId,rating\n1,1,5\n4,3,3\n", encoding="utf-8")
    report = ratings_import(path=more)
    assert (report.rows_imported, report.rows_skipped_existing) == (1, 1)
    assert Rating.objects.count() == 5
    # an existing rating is not overwritten by an overlapping file
    assert (
        Rating.objects.get(customer__external_id="1", product__stock_code="1").value
        == 4
    )


def test_ratings_missing_column(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("userId,movieId\n1,2\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="'rating'"):
        ratings_import(path=path)


def test_real_movielens_head(tmp_path, online_retail_path):
    source = online_retail_path.parent / "movielens-small" / "ratings.csv"
    head = tmp_path / "ratings.csv"
    with open(source, encoding="utf-8", newline="") as fh:
        lines = [next(fh) for _ in range(1001)]
    head.write_text("".join(lines), encoding="utf-8", newline="")
    report = ratings_import(path=head)
    assert (report.rows_total, report.rows_imported, report.rows_rejected) == (
        1000,
        1000,
        0,
    )
    assert Rating.objects.filter(customer__external_id="1").count() == len(
        [ln for ln in lines[1:] if ln.startswith("1,")]
    )
