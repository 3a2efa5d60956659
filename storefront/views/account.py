"""Customer sign-in, sign-out, the account page and an order's page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import DecimalField, ExpressionWrapper, F, Sum
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse_lazy

from shop.selectors import (
    customer_for_user,
    order_get_for_customer,
    orders_for_customer,
)

from .. import shelves
from ..forms import CustomerLoginForm
from .basket import LOGIN_URL

AMOUNT = ExpressionWrapper(
    F("lines__quantity") * F("lines__unit_price"),
    output_field=DecimalField(max_digits=14, decimal_places=3),
)


class CustomerLoginView(auth_views.LoginView):
    """Customers sign in here (the admin's sign-in is for staff)."""

    template_name = "storefront/login.html"
    authentication_form = CustomerLoginForm
    redirect_authenticated_user = True
    next_page = reverse_lazy("storefront:home")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, "You are signed in.")
        return response


class CustomerLogoutView(auth_views.LogoutView):
    next_page = "/"

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.info(request, "You are signed out.")
        return response


def _customer_or_404(request):
    customer = customer_for_user(user=request.user)
    if customer is None:
        raise Http404("this login has no shop account")
    return customer


@login_required(login_url=LOGIN_URL)
def account(request):
    customer = _customer_or_404(request)
    orders = (
        orders_for_customer(customer=customer)
        .filter(kind="sale")
        .annotate(total=Sum(AMOUNT))
    )
    page = Paginator(orders, 10).get_page(request.GET.get("page"))
    context = {
        "customer": customer,
        "page": page,
        "buy_again": shelves.buy_again(customer),
    }
    return render(request, "storefront/account.html", context)


@login_required(login_url=LOGIN_URL)
def order(request, invoice_no: str):
    customer = _customer_or_404(request)
    found = order_get_for_customer(customer=customer, invoice_no=invoice_no)
    if found is None:  # missing, or another customer's: the same answer
        raise Http404("no such order")
    lines = list(found.lines.select_related("product__category"))
    context = {
        "order": found,
        "lines": lines,
        "total": sum((line.amount for line in lines), 0),
        "history": found.status_changes.all(),
    }
    return render(request, "storefront/order.html", context)
