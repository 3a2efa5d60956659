"""Jobs of the pricing app started from the admin (see core.jobs): suggest prices."""

from __future__ import annotations

from django import forms
from django.urls import reverse

from core.jobs import Job, JobForm, register


class SuggestForm(JobForm):
    force = forms.BooleanField(
        required=False,
        help_text="Re-estimate the elasticities even when no sale changed.",
    )


def _links(run) -> list[tuple[str, str]]:
    return [
        (
            "Price suggestions to review",
            reverse("admin:pricing_pricesuggestion_changelist")
            + "?status__exact=proposed",
        ),
        ("Elasticities", reverse("admin:pricing_elasticityestimate_changelist")),
    ]


register(
    Job(
        name="pricing-suggest",
        task="pricing.suggest_prices",
        title="Suggest prices",
        description="Estimate each product's price elasticity from its sales and "
        "propose prices within the pricing rules, for review.",
        audience="pricing analyst",
        form=SuggestForm,
        permission="pricing.view_pricesuggestion",
        results=_links,
    )
)
