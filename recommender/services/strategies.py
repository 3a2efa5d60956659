"""The strategies of the fallback chain, each adding candidates to a Collector.

See :mod:`recommender.services.serving` for the order in which they run.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from shop.models import Customer, Product

from .. import selectors
from ..bundle import Bundle
from ..conf import rec_settings
from .collector import Collector, overfetch, pks_of
from .loading import ttl_cached


def pinned_rules(surface: str, country: str = "", cats=()) -> list:
    """Valid pinned rules of ``surface`` (cached ``pinned_cache_seconds``)."""
    cats = tuple(c for c in cats if c)
    return ttl_cached(
        f"pinned:{surface}:{country}:{cats}",
        float(rec_settings()["pinned_cache_seconds"]),
        lambda: selectors.pinned_rules_for(
            surface=surface, country=country, category_ids=cats
        ),
    )


def add_pinned(collector: Collector, surface: str, country: str = "", cats=()) -> None:
    """The valid pins of ``surface``, each kept at its rule's position (1 = first)
    with its note as the reason ("featured by the shop" without one)."""
    rules = pinned_rules(surface, country, cats)
    collector.pin(
        [(r.product_id, r.position, r.note or "featured by the shop") for r in rules]
    )


def with_reason(pks, scores, reason: str) -> list[tuple[int, float, str]]:
    return [(int(p), float(s), reason) for p, s in zip(pks, scores, strict=True)]


def add_bestsellers(collector: Collector, bundle: Bundle | None, country: str) -> None:
    if bundle is None:
        return
    pop = bundle.popularity
    allowed = collector.allowed_cols(bundle)
    exclude = np.setdiff1d(np.arange(bundle.n_items), allowed)
    n = min(bundle.n_items, overfetch(collector))
    if country and country in set(pop.group_labels_.tolist()):
        ids, scores = pop.top_for_group(country, n=n, exclude=exclude)
        pks, vals = pks_of(bundle, ids, scores)
        reason = f"popular in {country}"
        collector.add("country_bestsellers", with_reason(pks, vals, reason))
    if collector.missing > 0:
        ids, scores = pop.top_for_group(None, n=n, exclude=exclude)
        pks, vals = pks_of(bundle, ids, scores)
        collector.add("bestsellers", with_reason(pks, vals, "a bestseller"))


def add_new_arrivals(collector: Collector) -> None:
    pks = (
        Product.objects.filter(is_active=True, is_merchandise=True)
        .exclude(pk__in=collector.skip())
        .order_by("-created_at", "-id")
        .values_list("pk", flat=True)[: overfetch(collector)]
    )
    collector.add("new_arrivals", [(p, 0.0, "new in the shop") for p in pks])


def item_similarity(bundle: Bundle) -> sp.csr_matrix | None:
    sim = getattr(bundle.model, "similarity_", None)
    return sim if sp.issparse(sim) else None


def item_weights(bundle: Bundle):
    """The item-item matrix that scores ``x_u W``: ItemKNN's sparse ``similarity_``
    or EASE's dense ``weights_`` (None for other models)."""
    sim = item_similarity(bundle)
    if sim is not None:
        return sim
    blend = getattr(bundle.model, "blend_", None)  # TemporalBlend: its EASE member
    model = blend.ease_ if blend is not None else bundle.model
    weights = getattr(model, "weights_", None)
    return weights if isinstance(weights, np.ndarray) and weights.ndim == 2 else None


def because_cols(bundle: Bundle, row_cols: np.ndarray, row_vals: np.ndarray, rec_cols):
    """For each recommended column, the bought column contributing most (or -1)."""
    sim = item_weights(bundle)
    if sim is None or not len(row_cols) or not len(rec_cols):
        return np.full(len(rec_cols), -1)
    if sp.issparse(sim):
        contrib = sim[row_cols][:, rec_cols].toarray()
    else:
        contrib = np.asarray(sim[np.ix_(row_cols, rec_cols)], dtype=np.float64)
    contrib = contrib * row_vals[:, None]
    best = contrib.argmax(axis=0)
    out = row_cols[best]
    out[contrib.max(axis=0) <= 0] = -1
    return out


def reasons_because(
    bundle: Bundle, because_cols: np.ndarray, default: str, verb: str = ""
):
    known = because_cols[because_cols >= 0]
    names = selectors.products_describe(product_ids=bundle.item_ids[known].tolist())
    verb = verb or ("rated" if bundle.meta.get("data") == "ratings" else "bought")
    out = []
    for col in because_cols:
        if col < 0:
            out.append(default)
        else:
            name = names.get(int(bundle.item_ids[col]), "?")
            out.append(f"because you {verb} {name}")
    return out


def add_personalised(
    collector: Collector,
    bundle: Bundle,
    customer: Customer,
    bought: list[int],
    verb: str = "",
) -> None:
    """Score the customer with the model (``bought``: the products folded in for a
    customer the model has not seen; ``verb`` words the reason, e.g. "viewed")."""
    if bundle.algorithm == "popularity" or customer.erased_at is not None:
        return
    row = bundle.row_of(customer.pk)
    if row is not None and bundle.algorithm == "temporal_blend":
        user_items, user = bundle.user_items, row  # its ranker member needs the row
    elif row is not None and bundle.fold_in:
        user_items, user = bundle.user_items[row], 0  # item-based: the row suffices
    elif row is not None:
        user_items, user = bundle.user_items, row  # per-user state (MF, sequences)
    elif bundle.fold_in and bought:
        cols = bundle.cols_of(bought)
        if not len(cols):
            return
        user_items = sp.csr_matrix(
            (np.ones(len(cols), np.float32), (np.zeros(len(cols), int), cols)),
            shape=(1, bundle.n_items),
        )
        user = 0
    else:
        return
    allowed = collector.allowed_cols(bundle)
    n = min(len(allowed), overfetch(collector))
    if n < 1:
        return
    ids, scores = bundle.model.recommend(
        user, user_items, n=n, exclude_seen=False, candidate_items=allowed
    )
    keep = (ids >= 0) & (scores > 0)
    ids, scores = ids[keep], scores[keep]
    urow = user_items[user]
    because = because_cols(bundle, urow.indices, urow.data, ids)
    reasons = reasons_because(
        bundle, because, f"recommended for you ({bundle.algorithm})", verb
    )
    collector.add(
        "personalised",
        [
            (int(bundle.item_ids[c]), s, r)
            for c, s, r in zip(ids, scores, reasons, strict=True)
        ],
    )


def neighbours_of(
    bundle: Bundle | None, source_pks: list[int], limit: int
) -> list[tuple[int, float, int]]:
    """(candidate pk, score, source pk) from item similarity, co-purchase, content."""
    out: list[tuple[int, float, int]] = []
    if bundle is not None:
        sim = item_similarity(bundle)
        for pk in source_pks:
            col = bundle.col_of(pk)
            if col is None:
                continue
            if sim is not None:
                lo, hi = sim.indptr[col], sim.indptr[col + 1]
                cols, vals = sim.indices[lo:hi], sim.data[lo:hi]
            else:
                keep = bundle.fbt_ids[col] >= 0
                cols, vals = bundle.fbt_ids[col][keep], bundle.fbt_conf[col][keep]
            for c, v in zip(cols, vals, strict=False):
                if c != col:
                    out.append((int(bundle.item_ids[c]), float(v), pk))
    for pk in source_pks:
        row = selectors.product_neighbours_get(product_id=pk)
        if row is not None:
            pairs = zip(row.neighbour_ids, row.scores, strict=False)
            out += [(int(p), float(s), pk) for p, s in pairs]
    for row in selectors.products_with_neighbour(product_ids=source_pks):
        src = next(p for p in row.neighbour_ids if p in set(source_pks))
        out.append((row.product_id, 0.5, src))
    best: dict[int, tuple[float, int]] = {}
    for pk, score, src in out:
        if pk not in best or score > best[pk][0]:
            best[pk] = (score, src)
    ranked = sorted(best.items(), key=lambda kv: (-kv[1][0], kv[0]))[:limit]
    return [(pk, score, src) for pk, (score, src) in ranked]


def similar_by_customers(
    bundle: Bundle | None, pk: int, limit: int
) -> list[tuple[int, float]]:
    """(product pk, score) most similar to ``pk`` by who bought them (not co-purchase).

    The active model's item-item matrix when it has one (ItemKNN ``similarity_``,
    EASE ``weights_``), else cosine over customers on the bundle's training matrix
    (:func:`recommender.algorithms.knn.cosine_neighbours`). Empty when ``pk`` is
    not in the bundle (a product never sold before the last training run).
    """
    from ..algorithms.knn import cosine_neighbours

    col = bundle.col_of(pk) if bundle is not None else None
    if col is None:
        return []
    weights = item_weights(bundle)
    if weights is None:
        cols, vals = cosine_neighbours(bundle.user_items, col, n=limit)
    else:
        row = weights[col]
        row = row.toarray().ravel() if sp.issparse(row) else np.asarray(row).ravel()
        row = row.astype(np.float64)
        row[col] = 0.0
        cols = np.flatnonzero(row > 0)
        cols = cols[np.lexsort((cols, -row[cols]))][:limit]
        vals = row[cols]
    return [
        (int(bundle.item_ids[c]), float(v)) for c, v in zip(cols, vals, strict=True)
    ]


def similar_by_description(pk: int) -> list[tuple[int, float]]:
    """Content neighbours of a cold product (text vectors, see ``coldstart``), and
    the products listing it among theirs."""
    out: list[tuple[int, float]] = []
    row = selectors.product_neighbours_get(product_id=pk)
    if row is not None:
        out += [
            (int(p), float(s))
            for p, s in zip(row.neighbour_ids, row.scores, strict=False)
        ]
    out += [
        (r.product_id, 0.5) for r in selectors.products_with_neighbour(product_ids=[pk])
    ]
    return out


def add_content(
    collector: Collector,
    bundle: Bundle | None,
    bought: list[int],
    verb: str = "bought",
) -> None:
    if not bought:
        return
    found = neighbours_of(bundle, bought[:20], limit=collector.k * 5 + 50)
    names = selectors.products_describe(product_ids={src for _, _, src in found})
    collector.add(
        "content",
        [(pk, s, f"because you {verb} {names.get(src, '?')}") for pk, s, src in found],
    )


def add_category_bestsellers(collector: Collector, product: Product) -> None:
    from django.db.models import Count

    pks = (
        Product.objects.filter(category_id=product.category_id)
        .exclude(pk__in=collector.skip())
        .annotate(n=Count("lines"))
        .order_by("-n", "pk")
        .values_list("pk", "n")[: overfetch(collector)]
    )
    collector.add(
        "category_bestsellers", [(p, n, "popular in the same category") for p, n in pks]
    )


def co_purchased_live(product: Product, name: str, limit: int):
    from django.db.models import Count

    from shop.models import OrderLine

    rows = (
        OrderLine.objects.filter(
            order__lines__product=product, order__kind="sale", quantity__gt=0
        )
        .exclude(product=product)
        .values("product_id")
        .annotate(n=Count("order", distinct=True))
        .filter(n__gte=int(rec_settings()["bought_together_min_support"]))
        .order_by("-n", "product_id")[:limit]
    )
    return [
        (r["product_id"], r["n"], f"bought with {name} in {r['n']} orders")
        for r in rows
    ]


def add_basket_scores(collector: Collector, bundle: Bundle, ids: list[int]) -> None:
    cols = bundle.cols_of(ids)
    if not len(cols) or bundle.algorithm == "popularity":
        return
    row = sp.csr_matrix(
        (np.ones(len(cols), np.float32), (np.zeros(len(cols), int), cols)),
        shape=(1, bundle.n_items),
    )
    if bundle.fold_in:
        model_ids, scores = bundle.model.recommend(
            0,
            row,
            n=min(bundle.n_items, overfetch(collector)),
            exclude_seen=True,
            candidate_items=collector.allowed_cols(bundle),
        )
    else:
        return
    keep = (model_ids >= 0) & (scores > 0)
    model_ids, scores = model_ids[keep], scores[keep]
    because = because_cols(bundle, cols, np.ones(len(cols)), model_ids)
    names = selectors.products_describe(
        product_ids=bundle.item_ids[because[because >= 0]].tolist()
    )
    collector.add(
        "basket",
        [
            (
                int(bundle.item_ids[c]),
                s,
                f"goes with {names.get(int(bundle.item_ids[b]), '?')}"
                if b >= 0
                else "goes with your basket",
            )
            for c, s, b in zip(model_ids, scores, because, strict=False)
        ],
    )
