"""Categories of the shop's products: seeding the rules, assigning, merging.

``products_categorise`` runs :class:`shop.algorithms.categories.DescriptionCategoriser`
over the shop's own merchandise with the keyword rules kept on ``Category`` rows
(seeded once from :data:`shop.taxonomy.DEFAULT_TAXONOMY`, then edited by a
merchandiser in the admin). A product whose category was set by hand is never moved;
it is a labelled example for its look-alikes instead. Same rules, descriptions and
hand-set categories as the last successful run: nothing is recomputed.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
from django.db import transaction
from django.utils.module_loading import import_string

from core.exceptions import Conflict, InvalidInput
from core.models import TaskRun
from core.taskruns import current_run, progress, task_run

from ..algorithms.categories import DescriptionCategoriser, KeywordRules, Rule
from ..conf import shop_setting
from ..models import Category, CategorySource, Product
from ..taxonomy import DEFAULT_TAXONOMY

TASK_NAME = "shop.categorise_products"
_SPLIT = re.compile(r"[\n,;]+")


@dataclass
class CategorisationResult:
    """What :func:`products_categorise` did.

    Attributes
    ----------
    status : ``updated`` or ``unchanged`` (same inputs as the last run).
    products : int, products considered (the shop's merchandise with a description).
    moved : int, products whose category changed in this run.
    by_source : dict, products per way of assignment (rule, similar, cluster,
        fallback, manual).
    by_category : dict, products per category name.
    created : list of str, categories created in this run.
    neighbour_check : dict, leave-one-out check of the neighbour step.
    fingerprint : str, sha256 of the inputs.
    """

    status: str
    products: int = 0
    moved: int = 0
    by_source: dict = field(default_factory=dict)
    by_category: dict = field(default_factory=dict)
    created: list = field(default_factory=list)
    neighbour_check: dict = field(default_factory=dict)
    fingerprint: str = ""

    def as_metrics(self) -> dict:
        return {
            "status": self.status,
            "products": self.products,
            "moved": self.moved,
            "by_source": self.by_source,
            "categories": len(self.by_category),
            "created": self.created,
            "neighbour_check": self.neighbour_check,
            "fingerprint": self.fingerprint,
        }


def split_keywords(text: str) -> tuple[str, ...]:
    """Keywords of a ``Category.keywords`` text: one per line or comma-separated."""
    return tuple(k.strip() for k in _SPLIT.split(text or "") if k.strip())


@transaction.atomic
def categories_seed() -> int:
    """Create the default gift-shop categories and rules when the shop has none.

    Seeds once: after that, the rules in the database are the merchandiser's (a
    renamed or deleted default is not brought back). Returns the number created.
    """
    if Category.objects.of_shop().exists():
        return 0
    for position, rule in enumerate(DEFAULT_TAXONOMY, start=1):
        Category.objects.create(
            name=rule.name,
            source="shop",
            origin=Category.Origin.TAXONOMY,
            position=position * 10,
            keywords="\n".join(rule.keywords),
            weak_keywords="\n".join(rule.weak),
            overrides=rule.overrides,
        )
    return len(DEFAULT_TAXONOMY)


def category_rules() -> list[Rule]:
    """The shop's keyword rules, in order of precedence (position, then name).

    Raises
    ------
    InvalidInput
        A keyword has no word (field ``keywords``, naming the category).
    """
    rows = (
        Category.objects.of_shop()
        .exclude(keywords="", weak_keywords="")
        .order_by("position", "name")
    )
    rules = [
        Rule(
            c.name,
            split_keywords(c.keywords),
            split_keywords(c.weak_keywords),
            c.overrides,
        )
        for c in rows
    ]
    try:
        KeywordRules(rules)
    except ValueError as exc:
        raise InvalidInput(f"category rules: {exc}", field="keywords") from None
    return rules


def _products() -> list[Product]:
    return list(
        Product.objects.of_shop()
        .filter(kind=Product.Kind.MERCHANDISE, is_merchandise=True)
        .exclude(description="")
        .select_related("category")
        .order_by("pk")
    )


def _is_fixed(product: Product) -> bool:
    """Set by hand: marked manual, or a category given before categorisation ran."""
    return product.category_source == CategorySource.MANUAL or (
        product.category_id is not None and not product.category_source
    )


def _params() -> dict:
    return {
        "n_neighbours": int(shop_setting("CATEGORY_NEIGHBOURS")),
        "min_similarity": float(shop_setting("CATEGORY_MIN_SIMILARITY")),
        "min_share": float(shop_setting("CATEGORY_MIN_SHARE")),
        "cluster_distance": float(shop_setting("CATEGORY_CLUSTER_DISTANCE")),
        "min_cluster_size": int(shop_setting("CATEGORY_MIN_CLUSTER_SIZE")),
        "fallback": str(shop_setting("CATEGORY_FALLBACK")),
    }


def _fingerprint(rules: list[Rule], products: list[Product], params: dict) -> str:
    payload = {
        "rules": [[r.name, r.keywords, r.weak, r.overrides] for r in rules],
        "products": [
            [p.pk, p.description, p.category.name if _is_fixed(p) else None]
            for p in products
        ],
        "params": params,
        "encoder": shop_setting("CATEGORY_ENCODER"),
    }
    return hashlib.sha256(json.dumps(payload, default=list).encode()).hexdigest()


def _last_fingerprint() -> str | None:
    run = (
        TaskRun.objects.filter(task_name=TASK_NAME, status=TaskRun.Status.SUCCEEDED)
        .order_by("-created_at", "-id")
        .first()
    )
    return (run.metrics or {}).get("fingerprint") if run else None


def _summary(products: list[Product]) -> tuple[dict, dict]:
    by_source = Counter(p.category_source or "none" for p in products)
    by_category = Counter(p.category.name for p in products if p.category_id)
    return dict(by_source), dict(by_category.most_common())


def products_categorise(
    *,
    force: bool = False,
    encode: Callable[[list[str]], np.ndarray] | None = None,
    progress_bar: bool = False,
) -> CategorisationResult:
    """Give every product of the shop's own catalogue a category.

    Parameters
    ----------
    force : bool, recompute even when nothing changed since the last run.
    encode : callable texts -> (n, d) unit-norm float array, or None for the
        ``SHOP["CATEGORY_ENCODER"]`` (default: the bundled MiniLM sentence encoder).
    progress_bar : bool, show a tqdm bar while encoding (when the encoder takes a
        ``progress`` argument, as the bundled one does).

    Returns
    -------
    CategorisationResult

    Raises
    ------
    InvalidInput
        A category's keyword has no word, or a setting is out of range.
    """
    with task_run(TASK_NAME, {"force": force}) as run:
        seeded = categories_seed()
        rules = category_rules()
        products = _products()
        params = _params()
        fingerprint = _fingerprint(rules, products, params)
        if not force and not seeded and fingerprint == _last_fingerprint():
            by_source, by_category = _summary(products)
            result = CategorisationResult(
                "unchanged", len(products), 0, by_source, by_category,
                fingerprint=fingerprint,
            )  # fmt: skip
            _record(run, result)
            return result
        progress(run, 0.1, f"encoding {len(products):,} descriptions")
        encode = encode or import_string(shop_setting("CATEGORY_ENCODER"))
        texts = [p.description for p in products]
        takes_progress = "progress" in inspect.signature(encode).parameters
        extra = {"progress": progress_bar} if takes_progress else {}
        embeddings = encode([t.lower() for t in texts], **extra)
        progress(run, 0.7, "assigning categories")
        fixed = [p.category.name if _is_fixed(p) else None for p in products]
        try:
            model = DescriptionCategoriser(rules=KeywordRules(rules), **params).fit(
                texts, embeddings, fixed=fixed
            )
        except ValueError as exc:
            raise InvalidInput(str(exc), field="settings") from None
        result = _write(products, model, fingerprint)
        _record(run, result)
        return result


def _record(run: TaskRun | None, result: CategorisationResult) -> None:
    run = current_run() or run
    if run is not None:
        run.metrics = {**(run.metrics or {}), **result.as_metrics()}
        run.save(update_fields=["metrics", "updated_at"])


@transaction.atomic
def _write(
    products: list[Product], model: DescriptionCategoriser, fingerprint: str
) -> CategorisationResult:
    existing = {c.name: c for c in Category.objects.all()}
    created = []
    for name in dict.fromkeys(model.labels_):
        if name not in existing:
            origin = (
                Category.Origin.CLUSTER
                if name in model.new_categories_
                else Category.Origin.TAXONOMY
            )
            existing[name] = Category.objects.create(
                name=name, source="shop", origin=origin, position=1000
            )
            created.append(name)
    changed, moved = [], 0
    rows = zip(products, model.labels_, model.sources_, model.evidence_, strict=True)
    for product, name, source, evidence in rows:
        if source == "fixed":
            continue
        category = existing[name]
        evidence = (
            (f"keyword {evidence}" if source == "rule" else f"like {evidence}")[:255]
            if evidence
            else ""
        )
        now = (product.category_id, product.category_source, product.category_evidence)
        if now == (category.pk, source, evidence):
            continue
        moved += product.category_id != category.pk
        product.category, product.category_source = category, source
        product.category_evidence = evidence
        changed.append(product)
    Product.objects.bulk_update(
        changed, ["category", "category_source", "category_evidence"], batch_size=500
    )
    by_source, by_category = _summary(products)
    return CategorisationResult(
        "updated", len(products), moved, by_source, by_category, created,
        model.neighbour_check_, fingerprint,
    )  # fmt: skip


@transaction.atomic
def products_set_category(
    *, product_ids: Iterable[int], category: Category | None, by=None
) -> int:
    """Put products in ``category`` by hand (``None``: let the rules decide again).

    Hand-set products keep their category through every later categorisation run.
    Returns the number of products changed.
    """
    ids = sorted({int(p) for p in product_ids})
    who = getattr(by, "get_username", lambda: "")()
    if category is None:
        return Product.objects.filter(pk__in=ids).update(
            category_source="", category_evidence="", category=None
        )
    return Product.objects.filter(pk__in=ids).update(
        category=category,
        category_source=CategorySource.MANUAL,
        category_evidence=f"set by {who}" if who else "set by hand",
    )


@transaction.atomic
def categories_merge(
    *, sources: Iterable[Category], target: Category, by=None
) -> Category:
    """Merge ``sources`` into ``target``: products, keyword rules and every row of
    another app that points at a source category (pinned rules, policies) move to
    ``target``; the sources are deleted.

    Raises
    ------
    InvalidInput
        No source other than the target, or categories of a demo data set.
    Conflict
        A one-to-one row (e.g. an inventory policy) exists for both a source and
        the target; the error names it, and nothing is changed.
    """
    sources = [c for c in sources if c.pk != target.pk]
    if not sources:
        raise InvalidInput(
            "choose at least one category besides the target", field="sources"
        )
    if any(c.source != "shop" for c in [*sources, target]):
        raise InvalidInput(
            "only the shop's own categories can be merged", field="sources"
        )
    ids = [c.pk for c in sources]
    for rel in Category._meta.related_objects:
        if rel.related_model is Category:  # children: re-parented below
            continue
        manager = rel.related_model._default_manager
        name = rel.field.name
        rows = manager.filter(**{f"{name}__in": ids})
        if (
            rel.one_to_one
            and rows.exists()
            and manager.filter(**{name: target}).exists()
        ):
            raise Conflict(
                f"{rel.related_model._meta.verbose_name} exists for both "
                f"{rows.first()} and {target}; delete one first",
                field="sources",
            )
        rows.update(**{name: target})
    Category.objects.filter(parent_id__in=ids).update(parent=target)
    words = [target.keywords, *(c.keywords for c in sources)]
    weak = [target.weak_keywords, *(c.weak_keywords for c in sources)]
    target.keywords = "\n".join(
        dict.fromkeys(k for t in words for k in split_keywords(t))
    )
    target.weak_keywords = "\n".join(
        dict.fromkeys(k for t in weak for k in split_keywords(t))
    )
    target.save()
    Category.objects.filter(pk__in=ids).delete()
    return target
