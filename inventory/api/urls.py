"""URL routes of the inventory API, mounted under /api/v1/."""

from django.urls import path

from . import views

urlpatterns = [
    path(
        "products/<int:pk>/availability",
        views.ProductAvailabilityView.as_view(),
        name="product-availability",
    ),
]
