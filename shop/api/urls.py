"""URL routes of the shop API, mounted under /api/v1/."""

from django.urls import path

from . import views

urlpatterns = [
    path("products/", views.ProductListView.as_view(), name="product-list"),
    path(
        "products/<int:pk>/", views.ProductDetailView.as_view(), name="product-detail"
    ),
    path("categories/", views.CategoryListView.as_view(), name="category-list"),
    path("orders/", views.OrderListView.as_view(), name="order-list"),
    path(
        "orders/<str:invoice_no>/", views.OrderDetailView.as_view(), name="order-detail"
    ),
    path("events/", views.EventCreateView.as_view(), name="event-create"),
    path("customers/me/", views.CustomerMeView.as_view(), name="customer-me"),
]
