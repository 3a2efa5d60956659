from django.apps import AppConfig


class ShopConfig(AppConfig):
    name = "shop"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from .clock import order_saved_or_deleted
        from .models import Order

        post_save.connect(order_saved_or_deleted, sender=Order)
        post_delete.connect(order_saved_or_deleted, sender=Order)
