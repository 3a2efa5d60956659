"""The basket and checkout."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from core.exceptions import DomainError
from shop.selectors import customer_for_user, orders_for_customer

from .. import shelves
from ..basket import Basket
from ..forms import CheckoutForm
from ..services import basket_add, basket_update, checkout_place, track
from ._common import mark_added, tracking

LOGIN_URL = "/account/login/"


def _back(request, default: str):
    target = request.POST.get("next") or request.META.get("HTTP_REFERER") or default
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
        target = default
    return redirect(target)


def basket(request):
    cart = Basket(request.session)
    lines = cart.lines()
    if cart.dropped:
        messages.info(request, "A product in your basket is no longer for sale.")
    customer = customer_for_user(user=request.user)
    country = customer.country if customer else ""
    context = {
        "lines": lines,
        "total": Basket.total(lines),
        "shelf": shelves.for_basket(
            [x.product.pk for x in lines], country, who=tracking(request)
        )
        if lines
        else shelves.bestsellers(country, who=tracking(request)),
    }
    return render(request, "storefront/basket.html", context)


@require_POST
def basket_add_view(request):
    cart = Basket(request.session)
    try:
        product, quantity = basket_add(
            basket=cart,
            product_id=request.POST.get("product"),
            quantity=request.POST.get("quantity", 1),
            recommendation_id=(request.POST.get("rec") or "")[:40],
            surface=(request.POST.get("from") or "")[:20],
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return _back(request, reverse("storefront:basket"))
    track(
        kind="add_to_cart",
        product=product,
        recommendation_id=(request.POST.get("rec") or "")[:40],
        surface=(request.POST.get("from") or "")[:20],
        **tracking(request),
    )
    messages.success(
        request, f"Added {product.name} to your basket ({quantity} in it)."
    )
    response = _back(request, reverse("storefront:basket"))
    product_page = reverse("storefront:product-detail", args=[product.pk])
    if urlsplit(response.url).path == product_page:
        mark_added(request, product.pk)
    return response


@require_POST
def basket_update_view(request):
    try:
        basket_update(
            basket=Basket(request.session),
            product_id=request.POST.get("product"),
            quantity=request.POST.get("quantity", 0),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("storefront:basket")


@login_required(login_url=LOGIN_URL)
def checkout(request):
    customer = customer_for_user(user=request.user)
    if customer is None:
        messages.error(request, "Sign in with a customer account to check out.")
        return redirect("storefront:basket")
    cart = Basket(request.session)
    lines = cart.lines()
    last = orders_for_customer(customer=customer).exclude(shipping_address="").first()
    form = CheckoutForm(
        request.POST or None,
        initial={"shipping_address": last.shipping_address if last else ""},
    )
    if request.method == "POST" and form.is_valid():
        try:
            order = checkout_place(
                basket=cart,
                customer=customer,
                shipping_address=form.cleaned_data["shipping_address"],
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("storefront:basket" if not lines else "storefront:checkout")
        messages.success(request, f"Thank you! Order {order.invoice_no} is placed.")
        return redirect("storefront:order", invoice_no=order.invoice_no)
    if not lines:
        messages.error(
            request, "Your basket is empty: add something before checking out."
        )
        return redirect("storefront:basket")
    context = {"lines": lines, "total": Basket.total(lines), "form": form}
    return render(request, "storefront/checkout.html", context)
