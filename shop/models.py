"""The shop's data model: catalogue, customers, orders, stock, behaviour and ratings.

Money is ``Decimal`` with an explicit ISO 4217 currency (``GBP`` in the real data).
Rows imported from a dataset keep their ``source`` (``online_retail``, ``movielens``,
``shop`` for data created in the shop itself), so models train per source.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.models import TimeStampedModel

MONEY = {"max_digits": 12, "decimal_places": 2}
UNIT_PRICE = {"max_digits": 12, "decimal_places": 3}


class CategoryQuerySet(models.QuerySet):
    def of_shop(self) -> CategoryQuerySet:
        """The shop's own categories (not the genres of demo rating data sets)."""
        from .conf import shop_setting

        return self.exclude(source__in=list(shop_setting("DEMO_SOURCES")))

    def with_sellable(self) -> CategoryQuerySet:
        """Categories holding at least one sellable product, with ``n_products``."""
        return (
            self.of_shop()
            .filter(product__in=Product.objects.sellable())
            .annotate(n_products=models.Count("product", distinct=True))
            .order_by("name")
        )


class Category(TimeStampedModel):
    """A category of products, shown to shoppers and used by every app (recommender
    category caps, pins and bestsellers; pricing pools; inventory policies).

    The shop's categories are assigned from product descriptions by
    ``manage.py categorise_products`` (:mod:`shop.services.categories`) with the
    keyword rules kept here, which a merchandiser edits in the admin.
    """

    class Origin(models.TextChoices):
        TAXONOMY = "taxonomy", "default gift-shop list"
        CLUSTER = "cluster", "found in the descriptions (named by its words)"
        MANUAL = "manual", "created by hand"

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(
        max_length=140, unique=True, help_text="the category's web address part"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    source = models.CharField(
        max_length=32,
        default="shop",
        db_index=True,
        help_text="shop, or the demo rating data set whose genre this is",
    )
    origin = models.CharField(
        max_length=10, choices=Origin.choices, default=Origin.MANUAL
    )
    position = models.PositiveIntegerField(
        default=100,
        help_text="order of the rules: on a tie between keywords of two categories, "
        "the lower position wins",
    )
    keywords = models.TextField(
        blank=True,
        help_text="one keyword per line (or comma-separated): words of a product "
        "description that say what the product is, e.g. T-LIGHT HOLDER. Whole words, "
        "any case, plural optional; the most specific keyword of all categories wins "
        "(more words, then longer).",
    )
    weak_keywords = models.TextField(
        blank=True,
        help_text="keywords used only when no category's keyword matches: a design "
        "or theme, e.g. HEART, SPACEBOY",
    )
    overrides = models.BooleanField(
        default=False,
        help_text="its keywords beat every other category's (for seasons: a "
        "Christmas card belongs to Christmas, not to Cards)",
    )

    objects = CategoryQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "categories"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = unique_slug(self.name, exclude_pk=self.pk)
        super().save(*args, **kwargs)


def unique_slug(name: str, *, exclude_pk: int | None = None) -> str:
    """A slug of ``name`` not used by another category (``bags``, ``bags-2``)."""
    from django.utils.text import slugify

    base = slugify(name.replace("&", "and"))[:130] or "category"
    slug, n = base, 1
    taken = Category.objects.exclude(pk=exclude_pk)
    while taken.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


class ProductQuerySet(models.QuerySet):
    """Catalogue filters shared by every app (storefront, API, chatbot, recommender).

    ``of_shop()``: the shop's own catalogue, without the rows of demo rating data sets
    (``SHOP["DEMO_SOURCES"]``, default ``["movielens"]``), which the explicit-rating
    models learn from but which are never the shop's merchandise.
    ``sellable()``: what a shopper may see and buy: the shop's own, active
    merchandise (no postage, packing charges, manuals, samples or other service codes)
    with a description and a price above zero (the Online Retail file lists codes seen
    only in stock adjustments, never sold, with neither).
    """

    def of_shop(self) -> ProductQuerySet:
        from .conf import shop_setting

        return self.exclude(source__in=list(shop_setting("DEMO_SOURCES")))

    def sellable(self) -> ProductQuerySet:
        return (
            self.of_shop()
            .filter(is_active=True, is_merchandise=True, kind=Product.Kind.MERCHANDISE)
            .filter(list_price__gt=0)
            .exclude(description="")
        )


class CategorySource(models.TextChoices):
    RULE = "rule", "keyword rule"
    SIMILAR = "similar", "like similar products"
    CLUSTER = "cluster", "cluster of look-alikes"
    FALLBACK = "fallback", "no rule nor look-alike"
    MANUAL = "manual", "set by hand"


class Product(TimeStampedModel):
    """A catalogue entry. ``is_merchandise`` is False for postage, fees, adjustments.

    ``Product.objects.sellable()`` is what a shopper may see; ``of_shop()`` leaves out
    the demo rating data sets (MovieLens).
    """

    class Kind(models.TextChoices):
        MERCHANDISE = "merchandise"
        POSTAGE = "postage"
        FEE = "fee"
        ADJUSTMENT = "adjustment"
        DISCOUNT = "discount"
        SAMPLE = "sample"
        OTHER = "other"

    source = models.CharField(max_length=32, default="shop", db_index=True)
    stock_code = models.CharField(max_length=64, db_index=True)
    description = models.CharField(max_length=255, blank=True)
    alt_descriptions = models.JSONField(
        default=list, blank=True, help_text="other descriptions seen for this code"
    )
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL
    )
    category_source = models.CharField(
        max_length=10,
        choices=CategorySource.choices,
        blank=True,
        help_text="how the category was assigned; categorise_products never moves "
        "a product set by hand",
    )
    category_evidence = models.CharField(
        max_length=255, blank=True, help_text="the keyword matched or the look-alike"
    )
    kind = models.CharField(
        max_length=16, choices=Kind.choices, default=Kind.MERCHANDISE, db_index=True
    )
    is_merchandise = models.BooleanField(default=True, db_index=True)
    list_price = models.DecimalField(**UNIT_PRICE, default=Decimal("0"))
    cost_price = models.DecimalField(**UNIT_PRICE, null=True, blank=True)
    currency = models.CharField(max_length=3, default="GBP")
    is_active = models.BooleanField(default=True, db_index=True)
    first_sold_at = models.DateTimeField(null=True, blank=True)
    last_sold_at = models.DateTimeField(null=True, blank=True)

    objects = ProductQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "stock_code"], name="product_source_code_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.stock_code} {self.description}".strip()

    @property
    def name(self) -> str:
        """The description in title case, as a shopper reads it (stock code if none)."""
        from .naming import display_name

        return display_name(self.description) or self.stock_code


class PriceChange(TimeStampedModel):
    """Every change of a product's list price: who or what changed it, when and why."""

    class Origin(models.TextChoices):
        IMPORT = "import"
        MANUAL = "manual"
        SUGGESTION = "suggestion"

    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="price_changes"
    )
    old_price = models.DecimalField(**UNIT_PRICE, null=True, blank=True)
    new_price = models.DecimalField(**UNIT_PRICE)
    currency = models.CharField(max_length=3, default="GBP")
    changed_at = models.DateTimeField(db_index=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    origin = models.CharField(max_length=12, choices=Origin.choices)
    suggestion_ref = models.CharField(
        max_length=64, blank=True, help_text="id of the price suggestion applied"
    )
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return (
            f"{self.product.stock_code}: {self.old_price} -> "
            f"{self.new_price} {self.currency} ({self.origin})"
        )


class Customer(TimeStampedModel):
    source = models.CharField(max_length=32, default="shop", db_index=True)
    external_id = models.CharField(max_length=64, db_index=True)
    country = models.CharField(max_length=64, blank=True, db_index=True)
    email = models.EmailField(blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customer",
    )
    erased_at = models.DateTimeField(
        null=True, blank=True, help_text="set when personal data was erased on request"
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], name="customer_source_ext_unique"
            )
        ]

    def __str__(self) -> str:
        return f"customer {self.external_id}"


class Order(TimeStampedModel):
    """An invoice. Cancellation invoices (``C...``) are orders of kind ``cancellation``.

    ``status`` changes only through ``shop.services.orders.order_transition``.
    """

    class Status(models.TextChoices):
        PLACED = "placed"
        PAID = "paid"
        SHIPPED = "shipped"
        DELIVERED = "delivered"
        CANCELLED = "cancelled"
        RETURN_REQUESTED = "return_requested"
        RETURNED = "returned"
        REFUNDED = "refunded"

    class Kind(models.TextChoices):
        SALE = "sale"
        CANCELLATION = "cancellation"
        ADJUSTMENT = "adjustment"

    source = models.CharField(max_length=32, default="shop", db_index=True)
    invoice_no = models.CharField(max_length=32, unique=True)
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="orders"
    )
    placed_at = models.DateTimeField(db_index=True)
    country = models.CharField(max_length=64, blank=True)
    kind = models.CharField(
        max_length=16, choices=Kind.choices, default=Kind.SALE, db_index=True
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.PLACED, db_index=True
    )
    shipping_address = models.TextField(blank=True)
    import_report = models.ForeignKey(
        "shop.ImportReport", null=True, blank=True, on_delete=models.SET_NULL
    )
    cancels = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cancellations",
        help_text="on a cancellation: the order it cancels (exact for shop "
        "cancellations; matched by customer, product and time on imports)",
    )

    class Meta:
        ordering = ["-placed_at", "-id"]
        indexes = [models.Index(fields=["customer", "placed_at"])]

    def __str__(self) -> str:
        return self.invoice_no

    @property
    def is_guest(self) -> bool:
        return self.customer_id is None


class OrderLine(models.Model):
    """One line of an invoice. Quantity is negative on cancellations and write-offs."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="lines")
    line_no = models.PositiveIntegerField(default=0)
    quantity = models.IntegerField()
    unit_price = models.DecimalField(**UNIT_PRICE)
    description = models.CharField(max_length=255, blank=True)
    source_row = models.PositiveIntegerField(
        null=True, blank=True, help_text="1-based data row in the imported file"
    )

    class Meta:
        ordering = ["order_id", "line_no"]
        indexes = [models.Index(fields=["product", "order"])]

    @property
    def amount(self) -> Decimal:
        return self.unit_price * self.quantity

    def __str__(self) -> str:
        return (
            f"{self.order.invoice_no} line {self.line_no}: {self.quantity} x "
            f"{self.product.stock_code}"
        )


class OrderStatusChange(models.Model):
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    changed_at = models.DateTimeField(auto_now_add=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["changed_at", "id"]

    def __str__(self) -> str:
        return (
            f"{self.order.invoice_no}: {self.from_status or 'new'} -> {self.to_status}"
        )


class StockLevel(TimeStampedModel):
    """Units on hand and reserved. Changed only by ``shop.services.stock``."""

    product = models.OneToOneField(
        Product, on_delete=models.CASCADE, related_name="stock"
    )
    on_hand = models.IntegerField(default=0)
    reserved = models.IntegerField(default=0)
    is_assumed = models.BooleanField(
        default=False,
        help_text="True when the level was set by a rule, not imported from the store",
    )
    assumption = models.CharField(max_length=255, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(reserved__gte=0), name="stock_reserved_non_negative"
            )
        ]

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    def __str__(self) -> str:
        return f"stock of {self.product.stock_code}: {self.available} available"


class StockMovement(models.Model):
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="stock_movements"
    )
    delta_on_hand = models.IntegerField(default=0)
    delta_reserved = models.IntegerField(default=0)
    reason = models.CharField(max_length=64)
    reference = models.CharField(max_length=64, blank=True)
    changed_at = models.DateTimeField(auto_now_add=True, db_index=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.product.stock_code} {self.delta_on_hand:+d} ({self.reason})"


class Event(models.Model):
    """A behaviour event from the storefront (customer or anonymous session)."""

    class Kind(models.TextChoices):
        VIEW = "view"
        CLICK = "click"
        ADD_TO_CART = "add_to_cart"
        PURCHASE = "purchase"
        SEARCH = "search"

    kind = models.CharField(max_length=16, choices=Kind.choices, db_index=True)
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    session_key = models.CharField(max_length=64, blank=True, db_index=True)
    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    query = models.CharField(max_length=255, blank=True)
    recommendation_id = models.CharField(
        max_length=32,
        blank=True,
        db_index=True,
        help_text="the recommendation response the product came from (attribution)",
    )
    order = models.ForeignKey(
        Order,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
        help_text="on a purchase: the order placed",
    )
    occurred_at = models.DateTimeField(db_index=True)
    metadata = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} at {self.occurred_at:%Y-%m-%d %H:%M}"


class Rating(models.Model):
    """An explicit rating (e.g. 0.5..5 stars) of a product by a customer."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="ratings"
    )
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="ratings"
    )
    value = models.FloatField()
    rated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "product"], name="rating_customer_product_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.value:g} / 5 for {self.product_id} by {self.customer_id}"


class ImportReport(TimeStampedModel):
    """One import of a file: what came in, what was repaired or rejected and why."""

    class Status(models.TextChoices):
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        SKIPPED = "skipped"

    kind = models.CharField(max_length=16)  # orders, ratings, stock
    path = models.CharField(max_length=500)
    file_sha256 = models.CharField(max_length=64, db_index=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.RUNNING
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    rows_total = models.PositiveIntegerField(default=0)
    rows_imported = models.PositiveIntegerField(default=0)
    rows_repaired = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    rows_skipped_existing = models.PositiveIntegerField(default=0)
    counts_by_reason = models.JSONField(default=dict, blank=True)
    encoding = models.CharField(
        max_length=16, blank=True, help_text="text encoding the file was read with"
    )
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        help_text="time zone the file's naive times were read in (the shop's)",
    )
    summary = models.TextField(blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} import of {self.path} ({self.status})"


class ImportIssue(models.Model):
    """A row of an imported file that was rejected, repaired or flagged."""

    class Action(models.TextChoices):
        REJECTED = "rejected"
        REPAIRED = "repaired"
        FLAGGED = "flagged"

    report = models.ForeignKey(
        ImportReport, on_delete=models.CASCADE, related_name="issues"
    )
    row_number = models.PositiveIntegerField(help_text="1-based data row (header is 0)")
    action = models.CharField(max_length=10, choices=Action.choices, db_index=True)
    reason = models.CharField(max_length=64, db_index=True)
    field = models.CharField(max_length=64, blank=True)
    value = models.CharField(max_length=255, blank=True)
    message = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["report_id", "row_number"]

    def __str__(self) -> str:
        return f"row {self.row_number}: {self.action} ({self.reason})"
