"""Pages of the demo storefront: product list, product page, chat widget on both."""

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.views.decorators.csrf import ensure_csrf_cookie

from shop.models import Product

PAGE_SIZE = 24


def _products():
    return Product.objects.filter(is_active=True, is_merchandise=True).order_by("pk")


@ensure_csrf_cookie
def product_list(request):
    query = (request.GET.get("q") or "").strip()[:100]
    products = _products()
    if query:
        products = products.filter(description__icontains=query)
    page = Paginator(products, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "storefront/product_list.html", {"page": page, "q": query})


@ensure_csrf_cookie
def product_detail(request, pk: int):
    product = get_object_or_404(_products(), pk=pk)
    return render(request, "storefront/product_detail.html", {"product": product})
