"""Categories the shop can use: slugs for their pages, keyword rules a merchandiser
edits, how each product got its category; MovieLens genres marked as such; service
codes sold under merchandise-shaped stock codes (carriage, packing charge, gift
voucher) reclassified as non-products."""

from django.db import migrations, models
from django.utils.text import slugify


def _slugs(apps, schema_editor):
    Category = apps.get_model("shop", "Category")
    taken = set()
    for category in Category.objects.order_by("pk"):
        base = slugify(category.name.replace("&", "and"))[:130] or "category"
        slug, n = base, 1
        while slug in taken:
            n += 1
            slug = f"{base}-{n}"
        taken.add(slug)
        category.slug = slug
        category.save(update_fields=["slug"])


def _genres(apps, schema_editor):
    """A category whose products all come from MovieLens is a film genre."""
    Category = apps.get_model("shop", "Category")
    Product = apps.get_model("shop", "Product")
    for category in Category.objects.all():
        sources = set(
            Product.objects.filter(category=category).values_list("source", flat=True)
        )
        if sources == {"movielens"}:
            category.source = "movielens"
            category.save(update_fields=["source"])


def _services(apps, schema_editor):
    from shop.datasets.online_retail import classify_product

    Product = apps.get_model("shop", "Product")
    rows = Product.objects.filter(source="online_retail", is_merchandise=True)
    for product in rows.only("pk", "stock_code", "description"):
        kind, merchandise = classify_product(product.stock_code, product.description)
        if not merchandise:
            Product.objects.filter(pk=product.pk).update(
                kind=kind, is_merchandise=False
            )


class Migration(migrations.Migration):
    dependencies = [
        ("shop", "0003_event_click_recommendation"),
    ]

    operations = [
        # no index yet (the unique one comes last): PostgreSQL would otherwise get
        # two "_like" indexes of the same name
        migrations.AddField(
            model_name="category",
            name="slug",
            field=models.SlugField(max_length=140, null=True, db_index=False),
        ),
        migrations.AddField(
            model_name="category",
            name="source",
            field=models.CharField(
                db_index=True,
                default="shop",
                help_text="shop, or the demo rating data set whose genre this is",
                max_length=32,
            ),
        ),
        migrations.AddField(
            model_name="category",
            name="origin",
            field=models.CharField(
                choices=[
                    ("taxonomy", "default gift-shop list"),
                    ("cluster", "found in the descriptions (named by its words)"),
                    ("manual", "created by hand"),
                ],
                default="manual",
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="category",
            name="position",
            field=models.PositiveIntegerField(
                default=100,
                help_text="order of the rules: on a tie between keywords of two "
                "categories, the lower position wins",
            ),
        ),
        migrations.AddField(
            model_name="category",
            name="keywords",
            field=models.TextField(
                blank=True,
                help_text="one keyword per line (or comma-separated): words of a "
                "product description that say what the product is, e.g. T-LIGHT "
                "HOLDER. Whole words, any case, plural optional; the most specific "
                "keyword of all categories wins (more words, then longer).",
            ),
        ),
        migrations.AddField(
            model_name="category",
            name="weak_keywords",
            field=models.TextField(
                blank=True,
                help_text="keywords used only when no category's keyword matches: a "
                "design or theme, e.g. HEART, SPACEBOY",
            ),
        ),
        migrations.AddField(
            model_name="category",
            name="overrides",
            field=models.BooleanField(
                default=False,
                help_text="its keywords beat every other category's (for seasons: a "
                "Christmas card belongs to Christmas, not to Cards)",
            ),
        ),
        migrations.AddField(
            model_name="product",
            name="category_source",
            field=models.CharField(
                blank=True,
                choices=[
                    ("rule", "keyword rule"),
                    ("similar", "like similar products"),
                    ("cluster", "cluster of look-alikes"),
                    ("fallback", "no rule nor look-alike"),
                    ("manual", "set by hand"),
                ],
                help_text="how the category was assigned; categorise_products never "
                "moves a product set by hand",
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="product",
            name="category_evidence",
            field=models.CharField(
                blank=True,
                help_text="the keyword matched or the look-alike",
                max_length=255,
            ),
        ),
        migrations.RunPython(_slugs, migrations.RunPython.noop),
        migrations.RunPython(_genres, migrations.RunPython.noop),
        migrations.RunPython(_services, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="category",
            name="slug",
            field=models.SlugField(
                help_text="the category's web address part", max_length=140, unique=True
            ),
        ),
    ]
