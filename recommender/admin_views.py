"""The recommendation preview page of the admin (``/admin/recommender/preview/``)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse

from core.exceptions import DomainError

from .conf import rec_settings
from .preview import (
    customer_find,
    customer_history,
    preview_customer,
    preview_product,
    product_find,
)


class PreviewForm(forms.Form):
    customer = forms.CharField(
        required=False,
        label="Customer number",
        help_text="e.g. 17850",
        widget=forms.TextInput(attrs={"placeholder": "17850", "size": 10}),
    )
    product = forms.CharField(
        required=False,
        label="or product",
        help_text="stock code (85123A) or #id",
        widget=forms.TextInput(attrs={"placeholder": "85123A", "size": 12}),
    )
    k = forms.IntegerField(
        min_value=1,
        initial=10,
        label="items",
        widget=forms.NumberInput(attrs={"size": 3}),
    )

    def clean_k(self) -> int:
        k, max_k = self.cleaned_data["k"], int(rec_settings()["max_k"])
        if k > max_k:
            raise forms.ValidationError(f"at most {max_k} items")
        return k


def preview_view(request):
    """Every surface for a customer or a product, as the shopper would see it."""
    if not request.user.has_perm("recommender.view_recommendermodel"):
        raise PermissionDenied
    data = request.GET.copy()
    data.setdefault("k", "10")
    form = PreviewForm(data if ("customer" in data or "product" in data) else None)
    context = {
        **admin.site.each_context(request),
        "title": "Recommendation preview",
        "form": form,
    }
    if form.is_bound and form.is_valid():
        context.update(_preview(form))
    return TemplateResponse(request, "admin/recommender/preview.html", context)


def _preview(form: PreviewForm) -> dict:
    k = form.cleaned_data["k"]
    try:
        if form.cleaned_data["customer"]:
            customer = customer_find(form.cleaned_data["customer"])
            return {
                "customer": customer,
                "history": customer_history(customer),
                "surfaces": preview_customer(customer=customer, k=k),
            }
        if form.cleaned_data["product"]:
            product = product_find(form.cleaned_data["product"])
            return {
                "product": product,
                "surfaces": preview_product(product=product, k=k),
            }
    except DomainError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return {}
    form.add_error("customer", "give a customer number or a product")
    return {}
