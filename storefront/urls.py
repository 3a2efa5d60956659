"""Pages of the demo storefront (product list, product page, chat widget)."""

from django.urls import path

from . import views

app_name = "storefront"
urlpatterns = [
    path("", views.product_list, name="product-list"),
    path("products/<int:pk>/", views.product_detail, name="product-detail"),
]
