"""The fixed evaluation splits of issue 3 (pandas/numpy only, no Django).

* Explicit ratings (MovieLens): 5-fold cross-validation with exactly the folds of
  ``surprise.model_selection.KFold(n_splits=5, shuffle=True, random_state=0)``
  (:func:`kfold_indices`; equality with surprise is checked by a test).
* Purchases (Online Retail): a temporal split (:func:`purchase_split`), train before
  2011-09-01, test = the distinct products each training customer bought from then
  on, in an "all" and a "new" (never bought before) variant.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

PRODUCT_CODE = r"^\d{5}"
DEFAULT_CUTOFF = "2011-09-01"


# --- explicit ratings -------------------------------------------------------------
def read_ratings(path: str | Path) -> pd.DataFrame:
    """MovieLens ``ratings.csv`` as columns user, item, rating (float64), timestamp.

    Rows keep the file order (surprise's folds depend on it).
    """
    frame = pd.read_csv(path)
    frame = frame.rename(columns={"userId": "user", "movieId": "item"})
    frame["rating"] = frame["rating"].astype(np.float64)
    return frame[["user", "item", "rating", "timestamp"]]


def kfold_indices(
    n: int, *, n_splits: int = 5, random_state: int | None = 0, shuffle: bool = True
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Train/test row indices of surprise's ``KFold`` (same shuffle, same folds).

    Surprise shuffles ``arange(n)`` with ``numpy.random.RandomState(random_state)``
    and cuts it into ``n_splits`` consecutive folds, the first ``n % n_splits`` one
    row longer; the train set lists the rows before the fold, then after it.

    Raises
    ------
    ValueError
        ``n_splits`` < 2 or > n.
    """
    if n_splits < 2 or n_splits > n:
        raise ValueError(f"n_splits must be in [2, {n}], got {n_splits}")
    indices = np.arange(n)
    if shuffle:
        rng = (
            np.random.mtrand._rand
            if random_state is None
            else np.random.RandomState(random_state)
        )
        rng.shuffle(indices)
    stop = 0
    for fold in range(n_splits):
        start = stop
        stop += n // n_splits + (1 if fold < n % n_splits else 0)
        yield np.concatenate([indices[:start], indices[stop:]]), indices[start:stop]


@dataclass
class RatingFold:
    """One fold with inner ids in surprise's order (first appearance in train).

    Arrays ``*_users``, ``*_items`` are inner ids (``-1`` in test for unknown),
    ratings float64.
    """

    train_users: np.ndarray
    train_items: np.ndarray
    train_ratings: np.ndarray
    test_users: np.ndarray
    test_items: np.ndarray
    test_ratings: np.ndarray
    n_users: int
    n_items: int


def rating_folds(
    ratings: pd.DataFrame, *, n_splits: int = 5, random_state: int | None = 0
) -> Iterator[RatingFold]:
    """The folds of :func:`kfold_indices` on a ratings frame (user, item, rating)."""
    users = ratings["user"].to_numpy()
    items = ratings["item"].to_numpy()
    values = ratings["rating"].to_numpy(np.float64)
    for train, test in kfold_indices(
        len(ratings), n_splits=n_splits, random_state=random_state
    ):
        u_codes, u_uniques = pd.factorize(users[train])
        i_codes, i_uniques = pd.factorize(items[train])
        yield RatingFold(
            train_users=u_codes.astype(np.int64),
            train_items=i_codes.astype(np.int64),
            train_ratings=values[train],
            test_users=pd.Index(u_uniques).get_indexer(users[test]).astype(np.int64),
            test_items=pd.Index(i_uniques).get_indexer(items[test]).astype(np.int64),
            test_ratings=values[test],
            n_users=len(u_uniques),
            n_items=len(i_uniques),
        )


# --- purchases --------------------------------------------------------------------
def read_purchases(path: str | Path) -> pd.DataFrame:
    """Clean purchase lines of Online Retail (read as strings, then typed).

    Keeps lines with a customer id, quantity > 0, unit price > 0, an invoice that is
    not a cancellation (``C...``) or adjustment (``A...``) and a product code (begins
    with five digits; codes upper-cased). Columns: invoice, code, description,
    quantity (int), date (datetime64), price (float, GBP), customer (str), country,
    spend (quantity * price, GBP).
    """
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame = frame.rename(
        columns={
            "InvoiceNo": "invoice",
            "StockCode": "code",
            "Description": "description",
            "Quantity": "quantity",
            "InvoiceDate": "date",
            "UnitPrice": "price",
            "CustomerID": "customer",
            "Country": "country",
        }
    )
    frame["quantity"] = pd.to_numeric(frame["quantity"], errors="coerce")
    frame["price"] = pd.to_numeric(frame["price"], errors="coerce")
    frame["customer"] = (
        frame["customer"].str.strip().str.replace(r"\.0$", "", regex=True)
    )
    frame["code"] = frame["code"].str.strip().str.upper()
    keep = (
        (frame["customer"] != "")
        & (frame["quantity"] > 0)
        & (frame["price"] > 0)
        & ~frame["invoice"].str.match(r"^[CA]")
        & frame["code"].str.match(PRODUCT_CODE)
    )
    frame = frame.loc[keep].copy()
    frame["quantity"] = frame["quantity"].astype(np.int64)
    frame["date"] = pd.to_datetime(frame["date"], format="%Y-%m-%d %H:%M:%S")
    frame["spend"] = frame["quantity"] * frame["price"]
    return frame.reset_index(drop=True)


@dataclass
class PurchaseSplit:
    """A temporal split of purchase lines.

    Attributes
    ----------
    train : scipy.sparse.csr_matrix (n_users, n_items), distinct invoices per
        customer-item before the cut-off (float32).
    test_all, test_new : csr (n_users, n_items_all) of 0/1; products bought from the
        cut-off on ("new": never bought before the cut-off). Columns >= n_items are
        products first seen after the cut-off (relevant but not recommendable).
    spend_all, spend_new : csr like the tests, spend in GBP per customer-product.
    customers : str array (n_users,), items : str array (n_items_all,) product codes.
    train_lines : the training lines with integer columns ``u`` and ``i`` added.
    countries : str array (n_users,), each customer's most frequent country.
    cutoff : pandas.Timestamp
    """

    train: sp.csr_matrix
    test_all: sp.csr_matrix
    test_new: sp.csr_matrix
    spend_all: sp.csr_matrix
    spend_new: sp.csr_matrix
    customers: np.ndarray
    items: np.ndarray
    n_items: int
    train_lines: pd.DataFrame
    countries: np.ndarray
    cutoff: pd.Timestamp

    def users_with_test(self, variant: str = "all") -> np.ndarray:
        """Inner ids of training customers with at least one test product."""
        test = self.test_all if variant == "all" else self.test_new
        return np.flatnonzero(np.diff(test.indptr) > 0)


def purchase_split(
    lines: pd.DataFrame, *, cutoff: str = DEFAULT_CUTOFF
) -> PurchaseSplit:
    """Split clean purchase lines (from :func:`read_purchases`) at ``cutoff``.

    Users are the customers with a purchase before the cut-off; items are the
    products sold before it, then (in the test matrices only) those first sold after.

    Raises
    ------
    ValueError
        No line before or after the cut-off.
    """
    when = pd.Timestamp(cutoff)
    before = lines.loc[lines["date"] < when].copy()
    after = lines.loc[
        (lines["date"] >= when) & lines["customer"].isin(before["customer"])
    ]
    if before.empty or after.empty:
        raise ValueError(f"cut-off {cutoff} leaves an empty train or test window")
    customers = np.asarray(sorted(before["customer"].unique()))
    train_items = np.asarray(sorted(before["code"].unique()))
    extra = np.setdiff1d(after["code"].unique(), train_items)
    items = np.concatenate([train_items, np.sort(extra)])
    u_index, i_index = pd.Index(customers), pd.Index(items)
    before["u"] = u_index.get_indexer(before["customer"])
    before["i"] = i_index.get_indexer(before["code"])
    n_users, n_items, n_all = len(customers), len(train_items), len(items)
    pairs = before.drop_duplicates(["u", "i", "invoice"])
    train = sp.csr_matrix(
        (np.ones(len(pairs), np.float32), (pairs["u"], pairs["i"])),
        shape=(n_users, n_items),
    )
    au = u_index.get_indexer(after["customer"])
    ai = i_index.get_indexer(after["code"])
    spend_all = sp.csr_matrix(
        (after["spend"].to_numpy(np.float64), (au, ai)), shape=(n_users, n_all)
    )
    test_all = spend_all.copy()
    test_all.data = np.ones_like(test_all.data)
    seen = sp.csr_matrix(train, shape=(n_users, n_items))
    seen.resize((n_users, n_all))
    seen.data = np.ones_like(seen.data)
    new_mask = test_all - test_all.multiply(seen)
    new_mask.eliminate_zeros()
    spend_new = spend_all.multiply(new_mask).tocsr()
    countries = (
        before.groupby("u")["country"].agg(lambda s: s.value_counts().index[0])
    ).reindex(range(n_users))
    return PurchaseSplit(
        train=train,
        test_all=test_all.tocsr(),
        test_new=new_mask.tocsr(),
        spend_all=spend_all,
        spend_new=spend_new,
        customers=customers,
        items=items,
        n_items=n_items,
        train_lines=before.reset_index(drop=True),
        countries=countries.to_numpy(dtype=str),
        cutoff=when,
    )
