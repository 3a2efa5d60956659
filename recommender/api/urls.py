"""URL routes of the recommender API, mounted under /api/v1/ (as the issue names
them, without a trailing slash)."""

from django.urls import path

from . import views

urlpatterns = [
    path(
        "customers/<str:external_id>/recommendations",
        views.CustomerRecommendationsView.as_view(),
        name="customer-recommendations",
    ),
    path(
        "customers/<str:external_id>/buy-again",
        views.BuyAgainView.as_view(),
        name="customer-buy-again",
    ),
    path(
        "products/<int:pk>/similar",
        views.SimilarProductsView.as_view(),
        name="product-similar",
    ),
    path(
        "products/<int:pk>/bought-together",
        views.BoughtTogetherView.as_view(),
        name="product-bought-together",
    ),
    path(
        "recommendations/basket",
        views.BasketRecommendationsView.as_view(),
        name="basket-recommendations",
    ),
]
