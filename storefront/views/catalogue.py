"""Home, category, search and product pages."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.csrf import ensure_csrf_cookie

from shop.models import Product
from shop.selectors import (
    category_get,
    category_list,
    customer_for_user,
    product_popularity,
    products_search,
)

from .. import shelves
from ..services import stock_status, track
from ._common import back_after_add, first_click, tracking

PAGE_SIZE = 24
SORTS = {
    "popular": "Most popular",
    "price": "Price: low to high",
    "-price": "Price: high to low",
    "name": "Name",
}


@ensure_csrf_cookie
def home(request):
    if request.GET.get("q"):  # the old storefront searched on its home page
        return redirect(
            f"{reverse('storefront:search')}?{urlencode({'q': request.GET['q']})}"
        )
    customer = customer_for_user(user=request.user)
    shelf = (
        shelves.for_customer(customer)
        if customer
        else shelves.bestsellers(
            country=request.GET.get("country", ""), who=tracking(request)
        )
    )
    context = {"shelf": shelf, "categories": category_list(), "customer": customer}
    return render(request, "storefront/home.html", context)


def _page(request, products):
    """One page of ``products`` in the order the shopper chose (default popular)."""
    sort = request.GET.get("sort", "popular")
    sort = sort if sort in SORTS else "popular"
    if sort == "popular":
        ranks = product_popularity()
        ids = sorted(
            products.values_list("pk", flat=True), key=lambda p: -ranks.get(p, 0)
        )
    else:
        field = {"price": "list_price", "-price": "-list_price"}.get(
            sort, "description"
        )
        ids = list(products.order_by(field, "pk").values_list("pk", flat=True))
    page = Paginator(ids, PAGE_SIZE).get_page(request.GET.get("page"))
    found = Product.objects.select_related("category", "stock").in_bulk(
        page.object_list
    )
    page.object_list = [found[pk] for pk in page.object_list if pk in found]
    return page, sort


@ensure_csrf_cookie
def category(request, slug: str):
    found = category_get(slug=slug)
    if found is None:
        raise Http404("no such category")
    products = Product.objects.sellable().filter(category=found)
    page, sort = _page(request, products)
    context = {"title": found.name, "category": found, "page": page, "sort": sort}
    return render(request, "storefront/list.html", {**context, "sorts": SORTS})


@ensure_csrf_cookie
def search(request):
    query = (request.GET.get("q") or "").strip()[:100]
    products = Product.objects.sellable()
    if query:
        products = products_search(queryset=products, query=query)
        if request.GET.get("page", "1") == "1":
            track(kind="search", query=query, **tracking(request))
    page, sort = _page(request, products)
    title = f"Results for “{query}”" if query else "All products"
    context = {"title": title, "q": query, "page": page, "sort": sort, "sorts": SORTS}
    return render(request, "storefront/list.html", context)


@ensure_csrf_cookie
def product_detail(request, pk: int):
    product = (
        Product.objects.sellable().select_related("category").filter(pk=pk).first()
    )
    if product is None:
        raise Http404("no such product")
    rec = (request.GET.get("rec") or "")[:40]
    surface = (request.GET.get("from") or "")[:20]
    who = tracking(request)
    if not back_after_add(request, product.pk):  # not a new visit of the page
        if rec and first_click(request, rec, product.pk):
            track(
                kind="click",
                product=product,
                recommendation_id=rec,
                surface=surface,
                **who,
            )
        track(kind="view", product=product, **who)
    status, available, restock = stock_status(product)
    context = {
        "product": product,
        "status": status,
        "available": available,
        "restock": restock,
        "rec": rec,
        "surface": surface,
        "together": shelves.together(product, who=who),
        "similar": shelves.similar(product, who=who),
    }
    return render(request, "storefront/product.html", context)
