"""ORM rows -> sparse user-item matrices and the id maps that go with them.

Algorithms see inner ids ``0..n-1``; this module owns the map between database
primary keys and matrix rows/columns (``user_ids[row]`` is a ``shop.Customer`` pk,
``item_ids[col]`` a ``shop.Product`` pk). The maps are saved beside the model in the
artifact bundle (npz arrays, no pickles; see :mod:`recommender.bundle`).

What counts as a purchase
-------------------------
Lines of merchandise products (``Product.is_merchandise``) on orders of identified,
non-erased customers (``Customer.erased_at IS NULL``: erased customers never train a
model). Sale orders count positively; cancellation orders (``C...`` invoices,
negative quantities) are netted against them per (customer, product), and pairs whose
net quantity is not positive are dropped. Sale orders whose status is cancelled,
returned or refunded are left out. Guest orders have no customer and only feed the
basket matrix (frequently bought together).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd
import scipy.sparse as sp

from core.exceptions import InvalidInput

WEIGHTINGS = ("binary", "count", "log", "quantity")
EVENT_WEIGHTS = {"view": 1.0, "add_to_cart": 3.0, "purchase": 5.0}
_DROPPED_STATUSES = ("cancelled", "returned", "refunded")


@dataclass
class InteractionData:
    """A user-item matrix with its id maps and provenance.

    Attributes
    ----------
    matrix : scipy.sparse.csr_matrix of shape (n_users, n_items), float32
    user_ids : int64 array of shape (n_users,), ``shop.Customer`` pk per row
    item_ids : int64 array of shape (n_items,), ``shop.Product`` pk per column
    user_groups : str array of shape (n_users,), the customer's country ("" if none)
    fingerprint : str, sha256 of the matrix, the maps and how they were built
    window : dict, ``start``/``end`` (ISO dates or None), ``first``/``last`` seen
        and row counts
    """

    matrix: sp.csr_matrix
    user_ids: np.ndarray
    item_ids: np.ndarray
    user_groups: np.ndarray
    fingerprint: str
    window: dict = field(default_factory=dict)
    lines: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def shape(self) -> tuple[int, int]:
        return self.matrix.shape

    def user_index(self) -> dict[int, int]:
        """Map customer pk -> row."""
        return {int(u): i for i, u in enumerate(self.user_ids)}

    def item_index(self) -> dict[int, int]:
        """Map product pk -> column."""
        return {int(p): i for i, p in enumerate(self.item_ids)}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def purchase_lines(
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    source: str | None = None,
    include_guests: bool = False,
) -> pd.DataFrame:
    """Merchandise order lines as a frame (one row per line).

    Parameters
    ----------
    start, end : datetime, optional
        Half-open window ``start <= placed_at < end`` (tz-aware).
    source : str, optional
        Only orders of this source (``online_retail``, ``shop`` ...).
    include_guests : bool
        Keep lines of guest orders (``customer_id`` is then ``-1``).

    Returns
    -------
    pandas.DataFrame with columns customer_id (int64, -1 for guests), product_id
    (int64), order_id (int64), quantity (int64, negative on cancellations), kind
    (str), placed_at (datetime64[ns, UTC]), country (str, the customer's).
    """
    from shop.models import OrderLine

    qs = OrderLine.objects.filter(
        product__is_merchandise=True,
        order__kind__in=("sale", "cancellation"),
    ).exclude(order__kind="sale", order__status__in=_DROPPED_STATUSES)
    if include_guests:
        qs = qs.exclude(order__customer__erased_at__isnull=False)
    else:
        qs = qs.filter(
            order__customer__isnull=False, order__customer__erased_at__isnull=True
        )
    if start is not None:
        qs = qs.filter(order__placed_at__gte=start)
    if end is not None:
        qs = qs.filter(order__placed_at__lt=end)
    if source:
        qs = qs.filter(order__source=source)
    rows = list(
        qs.values_list(
            "order__customer_id", "product_id", "order_id", "quantity", "order__kind"
        ).iterator(chunk_size=50000)
    )
    frame = pd.DataFrame(
        rows, columns=["customer_id", "product_id", "order_id", "quantity", "kind"]
    )
    frame["customer_id"] = frame["customer_id"].fillna(-1).astype(np.int64)
    for col in ("product_id", "order_id", "quantity"):
        frame[col] = frame[col].astype(np.int64)
    frame["kind"] = frame["kind"].astype(str)
    # one datetime per order and one country per customer, not one per line
    orders = _order_times(frame["order_id"].unique())
    frame["placed_at"] = frame["order_id"].map(orders)
    countries = _customer_countries(frame["customer_id"].unique())
    frame["country"] = frame["customer_id"].map(countries).fillna("").astype(str)
    return frame


def _order_times(order_ids: np.ndarray) -> pd.Series:
    from shop.models import Order

    wanted = set(order_ids.tolist())
    pairs = [
        (pk, ts)
        for pk, ts in Order.objects.values_list("pk", "placed_at").iterator(
            chunk_size=50000
        )
        if pk in wanted
    ]
    index = pd.Index([p for p, _ in pairs], dtype=np.int64)
    return pd.Series(pd.to_datetime([t for _, t in pairs], utc=True), index=index)


def _customer_countries(customer_ids: np.ndarray) -> pd.Series:
    from shop.models import Customer

    wanted = set(customer_ids.tolist())
    pairs = [
        (pk, c)
        for pk, c in Customer.objects.values_list("pk", "country")
        if pk in wanted
    ]
    return pd.Series(
        [c for _, c in pairs], index=pd.Index([p for p, _ in pairs], dtype=np.int64)
    )


def purchases_signature(*, source: str | None = None) -> str:
    """A cheap database-level signature of everything :func:`purchase_lines` reads.

    Counts, maxima and sums over order lines, orders, products and erased customers
    (a few aggregate queries, well under a second on the full data). Equal
    signatures mean the purchase matrix cannot have changed, so a second training
    run can skip reading the lines at all.
    """
    from django.db.models import Count, Max, Sum

    from shop.models import Customer, Event, Order, OrderLine, Product

    lines = OrderLine.objects.all()
    orders = Order.objects.all()
    if source:
        lines = lines.filter(order__source=source)
        orders = orders.filter(source=source)
    parts = [
        lines.aggregate(n=Count("pk"), m=Max("pk"), q=Sum("quantity")),
        orders.aggregate(n=Count("pk"), m=Max("pk"), u=Max("updated_at")),
        Product.objects.aggregate(
            n=Count("pk"), u=Max("updated_at"), m=Count("pk", filter=_merch())
        ),
        Customer.objects.aggregate(e=Count("pk", filter=_erased())),
        Event.objects.aggregate(n=Count("pk"), m=Max("pk")),
    ]
    return hashlib.sha256(repr((source, parts)).encode()).hexdigest()


def ratings_signature(*, source: str | None = None) -> str:
    """Like :func:`purchases_signature`, for what :func:`ratings_matrix` reads."""
    from django.db.models import Count, Max, Sum

    from shop.models import Customer, Rating

    qs = Rating.objects.all()
    if source:
        qs = qs.filter(product__source=source)
    parts = [
        qs.aggregate(n=Count("pk"), m=Max("pk"), v=Sum("value")),
        Customer.objects.aggregate(e=Count("pk", filter=_erased())),
    ]
    return hashlib.sha256(repr(("ratings", source, parts)).encode()).hexdigest()


def _merch():
    from django.db.models import Q

    return Q(is_merchandise=True)


def _erased():
    from django.db.models import Q

    return Q(erased_at__isnull=False)


def fingerprint_of(*arrays: np.ndarray, extra: str = "") -> str:
    """sha256 over the bytes, dtypes and shapes of ``arrays`` and ``extra``."""
    digest = hashlib.sha256()
    for arr in arrays:
        arr = np.ascontiguousarray(arr)
        digest.update(f"{arr.dtype.str}{arr.shape}".encode())
        digest.update(arr.tobytes())
    digest.update(extra.encode())
    return digest.hexdigest()


def _values(net: pd.DataFrame, weighting: str) -> np.ndarray:
    if weighting == "binary":
        return np.ones(len(net), dtype=np.float32)
    if weighting == "count":
        return net["invoices"].to_numpy(np.float32)
    if weighting == "log":
        return (1.0 + np.log(net["invoices"].to_numpy(np.float64))).astype(np.float32)
    return net["quantity"].to_numpy(np.float32)


def matrix_from_lines(
    lines: pd.DataFrame,
    *,
    weighting: str = "count",
    item_ids: np.ndarray | None = None,
    window: dict | None = None,
) -> InteractionData:
    """Net purchases per (customer, product) -> :class:`InteractionData`.

    Parameters
    ----------
    lines : DataFrame as returned by :func:`purchase_lines` (guest rows are ignored)
    weighting : {"binary", "count", "log", "quantity"}
        binary = 1 per bought pair; count = number of sale invoices with the product;
        log = 1 + ln(count); quantity = net units.
    item_ids : int64 array, optional
        Fixed column order (e.g. a trained model's); other products are dropped.
    window : dict, optional
        Provenance stored in ``InteractionData.window``.

    Raises
    ------
    InvalidInput
        ``weighting`` unknown (field ``weighting``) or no purchase left (field
        ``window``: the training window is empty).
    """
    if weighting not in WEIGHTINGS:
        raise InvalidInput(
            f"weighting must be one of {', '.join(WEIGHTINGS)}; got {weighting!r}",
            field="weighting",
        )
    lines = lines[lines["customer_id"] >= 0]
    sales = lines[(lines["kind"] == "sale") & (lines["quantity"] > 0)]
    invoices = sales.groupby(["customer_id", "product_id"])["order_id"].nunique()
    net = lines.groupby(["customer_id", "product_id"])["quantity"].sum().to_frame()
    net["invoices"] = invoices.reindex(net.index).fillna(0)
    net = net[(net["quantity"] > 0) & (net["invoices"] > 0)].reset_index()
    if item_ids is not None:
        net = net[net["product_id"].isin(item_ids)]
    if net.empty:
        raise InvalidInput(
            "no purchases in the training window "
            f"({(window or {}).get('start')} .. {(window or {}).get('end')}); "
            "import orders or widen the window",
            field="window",
        )
    user_ids = np.unique(net["customer_id"].to_numpy(np.int64))
    if item_ids is None:
        item_ids = np.unique(net["product_id"].to_numpy(np.int64))
    item_ids = np.asarray(item_ids, dtype=np.int64)
    rows = np.searchsorted(user_ids, net["customer_id"].to_numpy(np.int64))
    cols = pd.Index(item_ids).get_indexer(net["product_id"].to_numpy(np.int64))
    matrix = sp.csr_matrix(
        (_values(net, weighting), (rows, cols)),
        shape=(len(user_ids), len(item_ids)),
        dtype=np.float32,
    )
    matrix.sum_duplicates()
    matrix.sort_indices()
    countries = (
        lines.drop_duplicates("customer_id")
        .set_index("customer_id")["country"]
        .reindex(user_ids)
        .fillna("")
        .to_numpy(dtype=str)
    )
    info = dict(window or {})
    info.update(
        {
            "lines": int(len(lines)),
            "users": int(len(user_ids)),
            "items": int(len(item_ids)),
            "nnz": int(matrix.nnz),
            "first": _iso(lines["placed_at"].min()) if len(lines) else None,
            "last": _iso(lines["placed_at"].max()) if len(lines) else None,
            "weighting": weighting,
        }
    )
    digest = fingerprint_of(
        user_ids,
        item_ids,
        matrix.indptr,
        matrix.indices,
        matrix.data,
        extra=f"purchases|{weighting}|{info.get('start')}|{info.get('end')}",
    )
    return InteractionData(matrix, user_ids, item_ids, countries, digest, info, lines)


def purchase_matrix(
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    source: str | None = None,
    weighting: str = "count",
) -> InteractionData:
    """Customers x merchandise products purchase matrix from the database.

    See :func:`purchase_lines` for the window/source arguments and
    :func:`matrix_from_lines` for ``weighting`` and the errors raised.
    """
    lines = purchase_lines(start=start, end=end, source=source)
    window = {"start": _iso(start), "end": _iso(end), "source": source}
    return matrix_from_lines(lines, weighting=weighting, window=window)


def basket_matrix(
    lines: pd.DataFrame, item_ids: np.ndarray
) -> tuple[sp.csr_matrix, np.ndarray]:
    """Invoices x items binary matrix of sale orders (guests included).

    Returns
    -------
    baskets : csr of shape (n_invoices, len(item_ids)), 1 where the invoice has the item
    order_ids : int64 (n_invoices,), ``shop.Order`` pk per row
    """
    sales = lines[(lines["kind"] == "sale") & (lines["quantity"] > 0)]
    cols = pd.Index(np.asarray(item_ids, dtype=np.int64)).get_indexer(
        sales["product_id"].to_numpy(np.int64)
    )
    sales = sales[cols >= 0]
    cols = cols[cols >= 0]
    order_ids, rows = np.unique(
        sales["order_id"].to_numpy(np.int64), return_inverse=True
    )
    baskets = sp.csr_matrix(
        (np.ones(len(rows), dtype=np.float32), (rows, cols)),
        shape=(len(order_ids), len(item_ids)),
    )
    baskets.data[:] = 1.0  # duplicated lines of one invoice count once
    baskets.sum_duplicates()
    baskets.data[:] = 1.0
    return baskets, order_ids


def sequences_from_frame(
    frame: pd.DataFrame,
    *,
    n_users: int,
    user: str = "u",
    item: str = "i",
    basket: str = "order_id",
    time: str = "placed_at",
) -> list[list[np.ndarray]]:
    """Each user's baskets in time order: ``out[u] = [items of basket 1, ...]``.

    ``frame`` holds one row per bought line with integer inner ids in ``user`` and
    ``item`` (rows with negative ids are dropped). Users without a basket get [].
    """
    frame = frame[(frame[user] >= 0) & (frame[item] >= 0)]
    frame = frame.sort_values([user, time, basket], kind="stable")
    out: list[list[np.ndarray]] = [[] for _ in range(n_users)]
    for (u, _), group in frame.groupby([user, basket], sort=False):
        out[int(u)].append(np.unique(group[item].to_numpy(np.int64)))
    return out


def basket_sequences(data: InteractionData) -> list[list[np.ndarray]]:
    """Basket sequences (sale orders, oldest first) of the users of ``data``.

    Raises
    ------
    ValueError
        ``data`` was not built by :func:`matrix_from_lines` (no lines kept).
    """
    if data.lines is None:
        raise ValueError("basket sequences need the purchase lines of the matrix")
    sales = data.lines[(data.lines["kind"] == "sale") & (data.lines["quantity"] > 0)]
    frame = pd.DataFrame(
        {
            "u": pd.Index(data.user_ids).get_indexer(sales["customer_id"]),
            "i": pd.Index(data.item_ids).get_indexer(sales["product_id"]),
            "order_id": sales["order_id"].to_numpy(),
            "placed_at": sales["placed_at"].to_numpy(),
        }
    )
    return sequences_from_frame(frame, n_users=len(data.user_ids))


def co_purchase_neighbours(
    baskets: sp.csr_matrix, *, k: int = 50, min_support: int = 2
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Frequently bought together: for each item, the items most often in its invoices.

    ``confidence(i -> j) = n(i, j) / n(i)`` where ``n(i, j)`` counts invoices holding
    both items (association-rule confidence, Agrawal, Imielinski & Swami 1993); pairs
    seen in fewer than ``min_support`` invoices are dropped.

    Returns
    -------
    ids : int64 (n_items, k), column ids of the neighbours (``-1`` pads)
    confidence : float32 (n_items, k)
    support : int32 (n_items, k), invoices holding both
    """
    n_items = baskets.shape[1]
    co = (baskets.T @ baskets).tocsr().astype(np.float32)
    co.setdiag(0)
    co.eliminate_zeros()
    item_counts = np.asarray(baskets.sum(axis=0)).ravel()
    ids = np.full((n_items, k), -1, dtype=np.int64)
    conf = np.zeros((n_items, k), dtype=np.float32)
    support = np.zeros((n_items, k), dtype=np.int32)
    for i in range(n_items):
        start, stop = co.indptr[i], co.indptr[i + 1]
        cols, vals = co.indices[start:stop], co.data[start:stop]
        keep = vals >= min_support
        cols, vals = cols[keep], vals[keep]
        if not len(cols):
            continue
        order = np.lexsort((cols, -vals))[:k]
        m = len(order)
        ids[i, :m] = cols[order]
        support[i, :m] = vals[order]
        conf[i, :m] = vals[order] / max(item_counts[i], 1.0)
    return ids, conf, support


def events_matrix(
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    weights: dict[str, float] | None = None,
) -> InteractionData:
    """Customers x products matrix of behaviour events, summed with per-kind weights.

    Default weights: view 1, add_to_cart 3, purchase 5 (search events carry no
    product and are ignored). Anonymous events (no customer) are left out.

    Raises
    ------
    InvalidInput
        No event in the window (field ``window``).
    """
    from shop.models import Event

    weights = weights or EVENT_WEIGHTS
    qs = Event.objects.filter(
        customer__isnull=False,
        customer__erased_at__isnull=True,
        product__isnull=False,
        kind__in=list(weights),
    )
    if start is not None:
        qs = qs.filter(occurred_at__gte=start)
    if end is not None:
        qs = qs.filter(occurred_at__lt=end)
    frame = pd.DataFrame(
        list(qs.values_list("customer_id", "product_id", "kind", "customer__country")),
        columns=["customer_id", "product_id", "kind", "country"],
    )
    window = {"start": _iso(start), "end": _iso(end), "source": "events"}
    if frame.empty:
        raise InvalidInput("no behaviour events in the window", field="window")
    frame["value"] = frame["kind"].map(weights).astype(np.float32)
    return _from_triples(frame, window, tag="events")


def add_events(
    data: InteractionData,
    *,
    weight: float,
    weights: dict[str, float] | None = None,
) -> InteractionData:
    """Add storefront events to a purchase matrix: ``R + weight * E``.

    ``E[u, i]`` sums the events of customer ``u`` on product ``i`` with per-kind
    ``weights`` (default view 1, add_to_cart 3; purchase events are left out, the
    orders already count them). Only customers and products of ``data`` are used;
    the fingerprint then covers the events too. Returns ``data`` unchanged when
    there is no event or ``weight`` is 0.
    """
    from shop.models import Event

    weights = weights or {"view": 1.0, "add_to_cart": 3.0}
    if not weight:
        return data
    rows = list(
        Event.objects.filter(
            customer_id__in=data.user_ids.tolist(),
            product_id__in=data.item_ids.tolist(),
            kind__in=list(weights),
        ).values_list("customer_id", "product_id", "kind")
    )
    if not rows:
        return data
    frame = pd.DataFrame(rows, columns=["customer_id", "product_id", "kind"])
    values = frame["kind"].map(weights).to_numpy(np.float32) * float(weight)
    events = sp.csr_matrix(
        (
            values,
            (
                pd.Index(data.user_ids).get_indexer(frame["customer_id"]),
                pd.Index(data.item_ids).get_indexer(frame["product_id"]),
            ),
        ),
        shape=data.shape,
    )
    matrix = (data.matrix + events).tocsr().astype(np.float32)
    matrix.sort_indices()
    window = dict(data.window, events=int(len(frame)), events_weight=float(weight))
    digest = fingerprint_of(
        matrix.indptr, matrix.indices, matrix.data, extra=data.fingerprint + "|events"
    )
    return InteractionData(
        matrix,
        data.user_ids,
        data.item_ids,
        data.user_groups,
        digest,
        window,
        data.lines,
    )


def ratings_matrix(*, source: str | None = None) -> InteractionData:
    """Customers x products matrix of explicit ratings (e.g. 0.5..5 stars).

    Raises
    ------
    InvalidInput
        No rating found (field ``source``).
    """
    from shop.models import Rating

    qs = Rating.objects.filter(customer__erased_at__isnull=True)
    if source:
        qs = qs.filter(product__source=source)
    frame = pd.DataFrame(
        list(qs.values_list("customer_id", "product_id", "value", "customer__country")),
        columns=["customer_id", "product_id", "value", "country"],
    )
    if frame.empty:
        raise InvalidInput("no ratings to train on", field="source")
    return _from_triples(frame, {"source": source}, tag="ratings")


def _from_triples(frame: pd.DataFrame, window: dict, *, tag: str) -> InteractionData:
    grouped = frame.groupby(["customer_id", "product_id"])["value"].sum().reset_index()
    user_ids = np.unique(grouped["customer_id"].to_numpy(np.int64))
    item_ids = np.unique(grouped["product_id"].to_numpy(np.int64))
    matrix = sp.csr_matrix(
        (
            grouped["value"].to_numpy(np.float32),
            (
                np.searchsorted(user_ids, grouped["customer_id"].to_numpy(np.int64)),
                np.searchsorted(item_ids, grouped["product_id"].to_numpy(np.int64)),
            ),
        ),
        shape=(len(user_ids), len(item_ids)),
    )
    matrix.sort_indices()
    countries = (
        frame.drop_duplicates("customer_id")
        .set_index("customer_id")["country"]
        .reindex(user_ids)
        .fillna("")
        .to_numpy(dtype=str)
    )
    info = dict(window, users=len(user_ids), items=len(item_ids), nnz=int(matrix.nnz))
    digest = fingerprint_of(
        user_ids, item_ids, matrix.indptr, matrix.indices, matrix.data, extra=tag
    )
    return InteractionData(matrix, user_ids, item_ids, countries, digest, info)
