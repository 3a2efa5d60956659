"""Forms of the storefront: customer sign-in and checkout."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from shop.selectors import customer_for_user

# One message for a wrong username, a wrong password, a disabled login and a login
# that is not a shop customer's: the page never tells which accounts exist.
WRONG_LOGIN = (
    "That username and password do not match a customer account. Check them and "
    "try again."
)


class CustomerLoginForm(AuthenticationForm):
    """Sign-in for the shop's customers (staff use the admin's own sign-in)."""

    error_messages = {"invalid_login": WRONG_LOGIN, "inactive": WRONG_LOGIN}

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].widget.attrs.update(autocomplete="username")
        self.fields["password"].widget.attrs.update(autocomplete="current-password")

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if customer_for_user(user=user) is None:
            raise forms.ValidationError(WRONG_LOGIN, code="invalid_login")


class CheckoutForm(forms.Form):
    shipping_address = forms.CharField(
        label="Delivery address",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 4, "autocomplete": "street-address"}),
        error_messages={"required": "Enter the address to deliver to."},
    )
