"""Pages of the demo storefront."""

from django.urls import path

from .views import account, basket, catalogue

app_name = "storefront"
urlpatterns = [
    path("", catalogue.home, name="home"),
    path("search/", catalogue.search, name="search"),
    path("c/<slug:slug>/", catalogue.category, name="category"),
    path("products/<int:pk>/", catalogue.product_detail, name="product-detail"),
    path("basket/", basket.basket, name="basket"),
    path("basket/add/", basket.basket_add_view, name="basket-add"),
    path("basket/update/", basket.basket_update_view, name="basket-update"),
    path("checkout/", basket.checkout, name="checkout"),
    path("account/login/", account.CustomerLoginView.as_view(), name="login"),
    path("account/logout/", account.CustomerLogoutView.as_view(), name="logout"),
    path("account/", account.account, name="account"),
    path("account/orders/<str:invoice_no>/", account.order, name="order"),
]
