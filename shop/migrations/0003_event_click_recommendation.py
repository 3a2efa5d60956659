"""Events: the ``click`` kind, the ``recommendation_id`` a product came from and the
order of a purchase (the storefront's attribution contract)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("shop", "0002_order_cancels"),
    ]

    operations = [
        migrations.AddField(
            model_name="event",
            name="order",
            field=models.ForeignKey(
                blank=True,
                help_text="on a purchase: the order placed",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="events",
                to="shop.order",
            ),
        ),
        migrations.AddField(
            model_name="event",
            name="recommendation_id",
            field=models.CharField(
                blank=True,
                db_index=True,
                help_text="the recommendation response the product came from "
                "(attribution)",
                max_length=32,
            ),
        ),
        migrations.AlterField(
            model_name="event",
            name="kind",
            field=models.CharField(
                choices=[
                    ("view", "View"),
                    ("click", "Click"),
                    ("add_to_cart", "Add To Cart"),
                    ("purchase", "Purchase"),
                    ("search", "Search"),
                ],
                db_index=True,
                max_length=16,
            ),
        ),
    ]
