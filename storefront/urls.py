"""Pages of the demo storefront (product list, product page, chat widget)."""

urlpatterns: list = []
