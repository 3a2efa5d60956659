"""URL routes of the pricing API, mounted under /api/v1/."""

from django.urls import path

from .views import ProductPriceView

urlpatterns = [
    path(
        "products/<int:product_id>/price",
        ProductPriceView.as_view(),
        name="product-price",
    ),
]
