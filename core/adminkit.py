"""The admin toolkit: review queues with formatted columns, read-only records, and
Approve / Reject buttons on detail pages that share their service with bulk actions.

Columns with units::

    from core.adminkit import column
    from core.formatting import money, percent, units

    list_display = (
        "product",
        column("suggested_price", money, "suggested"),
        column("stockout_risk", percent, "stock-out risk"),
        column("mean_daily", lambda v: units(v, "units/day"), "demand"),
    )

Read-only records (no Add, no Save, no Delete; the detail page is a view)::

    class ForecastAdmin(ReadOnlyAdminMixin, admin.ModelAdmin): ...

Decisions (buttons on the detail page and the same service as a bulk action)::

    class SuggestionAdmin(DecisionAdminMixin, admin.ModelAdmin):
        decisions = (
            Decision(
                "approve",
                "Approve and apply",
                run=lambda request, rows: approve(ids=[r.pk for r in rows],
                                                   by=request.user),
                applies=lambda obj: obj.status == "proposed",
                style="primary",
            ),
            Decision("reject", "Reject", run=..., applies=..., note=True,
                     style="danger"),
        )

A decision's ``run(request, rows)`` calls ONE service with the selected rows (a list of
model instances) and returns a message (or None); a :class:`core.exceptions.DomainError`
it raises (a stale suggestion, a wrong status) is shown as an error naming the reason,
and nothing is changed. ``note=True`` asks for a note on the detail page (passed as
``request.POST["note"]``; read it with :func:`decision_note`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode

from .exceptions import DomainError
from .formatting import MISSING, money, number, percent, units


def column(
    field: str,
    fmt: Callable[[Any], str],
    description: str | None = None,
    *,
    ordering: str | None = None,
    align: str = "right",
) -> Callable:
    """A changelist/readonly column showing ``fmt(obj.<field>)``, sortable by field.

    ``field`` may follow relations with ``__`` (``"product__list_price"``). Numbers
    are right-aligned so that digits line up.
    """

    def display(obj):
        value = obj
        for part in field.split("__"):
            value = getattr(value, part, None) if value is not None else None
        text = fmt(value) if value is not None else MISSING
        if align == "right":
            return format_html('<span style="white-space:nowrap">{}</span>', text)
        return text

    display.__name__ = f"{field}_display"
    display.short_description = description or field.replace("_", " ")
    display.admin_order_field = ordering or field
    return display


# Words in a field's name that say which unit its numbers carry (first match wins).
MONEY_WORDS = ("price", "cost", "value", "sales", "revenue", "amount", "spend", "gbp")
DAY_WORDS = ("days", "cover", "lead_time")
UNIT_WORDS = (
    "stock", "demand", "quantity", "qty", "point", "units", "mean", "sold",
    "order_up_to", "eoq", "sigma",
)  # fmt: skip
SHARE_WORDS = (
    "rate", "risk", "share", "service_level", "confidence", "probability",
    "accuracy", "f1", "precision", "recall", "ndcg", "coverage", "fill",
)  # fmt: skip


def readable_number(name: str, value, hint: str = "") -> str:
    """A number shown by what it measures: money as ``£1,200.82`` (GBP, 2 dp), days
    to 1 dp, shares (0..1) as ``95.6 %``, units to 1 dp, else 4 significant digits
    (``5.573``, ``0.0650``: at most 4 decimals), never a raw float's 16 digits.

    ``name`` is the field's name and ``hint`` its help text; the unit comes from the
    help text first (``"GBP: ..."``, ``"..., units"``), then from words in the name.
    """
    from decimal import Decimal

    if value is None:
        return MISSING
    hint, lowered = hint.lower(), name.lower()
    if "gbp" in hint or (
        any(w in lowered for w in MONEY_WORDS) and "elasticity" not in lowered
    ):
        return money(value, "GBP")
    per = re.search(r"units ?(?:/|per) ?(?:calendar |trading )?([a-z]+)", hint)
    if per or "daily" in lowered:
        return units(value, f"units/{per.group(1) if per else 'day'}")
    if "units" in hint:
        return units(value, "units")
    if "days" in hint or any(w in lowered for w in DAY_WORDS):
        return units(value, "days")
    if any(w in lowered for w in SHARE_WORDS) and abs(float(value)) <= 1:
        return percent(value)
    if any(w in lowered for w in UNIT_WORDS):
        return units(value, "units")
    number_ = float(value)
    if isinstance(value, int | Decimal) and number_ == int(number_):
        return number(number_)
    if abs(number_) >= 10:
        return number(number_, places=1)
    if abs(number_) >= 1:
        return f"{number_:.4g}"
    if abs(number_) >= 0.0001 or not number_:
        return f"{number_:.4f}"
    return f"{number_:.1e}"


def readable_field(field) -> Callable | None:
    """A display callable for a model field Django shows raw (a float's 16 digits,
    a Decimal's 4 places, a JSON dump), or None when Django's display is fine."""
    from django.db import models

    if isinstance(field, models.JSONField):

        def display(obj):
            return kv_table(getattr(obj, field.name))

    elif isinstance(field, models.FloatField | models.DecimalField):

        def display(obj):
            return readable_number(
                field.name, getattr(obj, field.name), str(field.help_text or "")
            )

    else:
        return None
    display.short_description = field.verbose_name
    display.admin_order_field = field.name
    display.__name__ = f"{field.name}_readable"
    return display


class ReadableFieldsMixin:
    """Every read-only float, Decimal or JSON field, and every such list column,
    shown for people (:func:`readable_field`) instead of Django's raw value.

    :class:`core.admin_site.SuiteAdminSite` mixes it into every registered
    ``ModelAdmin`` and its inlines, so no page shows ``0.06504323089601004``.
    """

    def _readable(self, name):
        cache = self.__dict__.setdefault("_readable_cache", {})
        if name not in cache:
            try:
                field = self.model._meta.get_field(name)
            except Exception:  # not a model field (a method, a callable)
                field = None
            concrete = field is not None and getattr(field, "concrete", False)
            cache[name] = readable_field(field) if concrete else None
        return cache[name]

    def _all_read_only(self, request, obj) -> bool:
        return obj is not None and not self.has_change_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        names = list(super().get_readonly_fields(request, obj))
        extra = [self._readable(n) for n in names if isinstance(n, str)]
        return names + [d for d in extra if d is not None]

    def get_fieldsets(self, request, obj=None):
        readonly = {
            n for n in super().get_readonly_fields(request, obj) if isinstance(n, str)
        }
        everything = self._all_read_only(request, obj)

        def shown(name):
            if isinstance(name, list | tuple):
                return type(name)(shown(n) for n in name)
            if isinstance(name, str) and (everything or name in readonly):
                return self._readable(name) or name
            return name

        result, seen = [], set()
        for title, options in super().get_fieldsets(request, obj):
            fields = []
            for name in options.get("fields", ()):
                name = shown(name)
                key = name if isinstance(name, list | tuple) else (name,)
                if any(k in seen for k in key):
                    continue  # a raw name and its readable twin: keep the first
                seen.update(key)
                fields.append(name)
            result.append((title, {**options, "fields": fields}))
        return result

    def get_list_display(self, request):
        return [
            (self._readable(name) if isinstance(name, str) else None) or name
            for name in super().get_list_display(request)
        ]


class ReadOnlyAdminMixin:
    """Records written by services, imports or tasks: viewable, never edited here.

    No Add, no Save, no Delete (Django shows the detail page as a view with Close).
    """

    show_full_result_count = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyInlineMixin:
    """An inline of read-only rows (no add, no delete, no edit)."""

    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@dataclass(frozen=True)
class Decision:
    """A decision a person takes on a queue row (approve, reject, receive ...).

    Parameters
    ----------
    name : str, URL-safe id (``"approve"``).
    label : str, the button text (``"Approve and apply"``).
    run : callable(request, rows) -> str | None, calls the service; returns a message.
    applies : callable(obj) -> bool, whether the button shows for this row (status).
    style : ``"primary"``, ``"danger"`` or ``"default"``.
    note : bool, ask for a note (a reason) on the detail page.
    permission : str, the model permission needed (``"change"``).
    bulk : bool, also offer it as a bulk action on the list.
    """

    name: str
    label: str
    run: Callable[[Any, list], str | None]
    applies: Callable[[Any], bool] = lambda obj: True
    style: str = "default"
    note: bool = False
    permission: str = "change"
    bulk: bool = True


def decision_note(request) -> str:
    """The note typed beside a decision button ('' from a bulk action)."""
    return (request.POST.get("note") or "").strip()[:500]


class DecisionAdminMixin:
    """Approve / Reject (any :class:`Decision`) as buttons on the detail page and as
    bulk actions on the list, through the same service call."""

    decisions: tuple[Decision, ...] = ()
    change_form_template = "admin/core/decision_change_form.html"

    def _decision(self, name: str) -> Decision:
        for decision in self.decisions:
            if decision.name == name:
                return decision
        raise PermissionDenied(f"unknown decision {name!r}")

    def _may(self, request, decision: Decision) -> bool:
        opts = self.model._meta
        codename = f"{decision.permission}_{opts.model_name}"
        return request.user.has_perm(f"{opts.app_label}.{codename}")

    def decide(self, request, decision: Decision, rows: list) -> bool:
        """Run ``decision`` on ``rows``; report the outcome as a message."""
        try:
            message = decision.run(request, rows)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return False
        self.message_user(
            request, message or f"{decision.label}: done.", messages.SUCCESS
        )
        return True

    def get_urls(self):
        opts = self.model._meta
        extra = [
            path(
                "<path:object_id>/decide/<str:name>/",
                self.admin_site.admin_view(self.decide_view),
                name=f"{opts.app_label}_{opts.model_name}_decide",
            )
        ]
        return extra + super().get_urls()

    def decide_view(self, request, object_id: str, name: str):
        """POST: take decision ``name`` on one row, then back to its page."""
        decision = self._decision(name)
        obj = get_object_or_404(self.get_queryset(request), pk=object_id)
        if request.method != "POST" or not self._may(request, decision):
            raise PermissionDenied
        if not decision.applies(obj):
            self.message_user(
                request,
                f"{decision.label} does not apply to {obj} any more "
                "(its status changed); nothing was done.",
                messages.ERROR,
            )
        else:
            self.decide(request, decision, [obj])
        opts = self.model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
        query = unquote(request.POST.get("_changelist_filters") or "")
        if query:
            url += "?" + urlencode({"_changelist_filters": query})
        return HttpResponseRedirect(url)

    def decision_buttons(self, request, obj) -> list[dict]:
        """The decisions to show on ``obj``'s page, with their form URLs."""
        if obj is None:
            return []
        opts = self.model._meta
        return [
            {
                "name": d.name,
                "label": d.label,
                "style": d.style,
                "note": d.note,
                "url": reverse(
                    f"admin:{opts.app_label}_{opts.model_name}_decide",
                    args=[obj.pk, d.name],
                ),
            }
            for d in self.decisions
            if d.applies(obj) and self._may(request, d)
        ]

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        context["decision_buttons"] = self.decision_buttons(request, obj)
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    def get_actions(self, request):
        actions = super().get_actions(request)
        for decision in self.decisions:
            if decision.bulk and self._may(request, decision):
                actions[f"decide_{decision.name}"] = (
                    _bulk_action(decision),
                    f"decide_{decision.name}",
                    f"{decision.label} (selected rows)",
                )
        return actions


def _bulk_action(decision: Decision) -> Callable:
    def action(modeladmin, request, queryset):
        rows = list(queryset)
        skipped = [row for row in rows if not decision.applies(row)]
        rows = [row for row in rows if decision.applies(row)]
        if skipped:
            modeladmin.message_user(
                request,
                f"{len(skipped)} selected row(s) skipped: {decision.label} does not "
                "apply to them (status).",
                messages.WARNING,
            )
        if rows:
            modeladmin.decide(request, decision, rows)

    action.__name__ = f"decide_{decision.name}"
    return action


def admin_link(obj, text: str | None = None) -> str:
    """An HTML link to ``obj``'s admin page (its label when ``text`` is None)."""
    if obj is None:
        return MISSING
    opts = obj._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, text if text is not None else obj)


def changelist_url(model, **filters) -> str:
    """The admin list of ``model`` filtered by ``filters`` (query parameters)."""
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    return f"{url}?{urlencode(filters)}" if filters else url


def flatten(value, prefix: str = "") -> list[tuple[str, str]]:
    """Nested data as readable rows: ``[("popularity › artifact", "…:v1")]``;
    numbers with thousands separators and 4 significant digits."""
    if isinstance(value, dict):
        rows = []
        for key, item in value.items():
            rows += flatten(item, f"{prefix} › {key}" if prefix else str(key))
        return rows
    if isinstance(value, bool) or value is None:
        text = {True: "yes", False: "no", None: MISSING}[value]
    elif isinstance(value, int):
        text = number(value)
    elif isinstance(value, float):
        text = f"{value:,.4g}" if abs(value) < 1000 else number(value, places=1)
        if "." in text and "e" not in text and len(text.split(".")[1]) > 4:
            text = f"{value:.4f}"  # 0.09076 -> 0.0908: never more than 4 decimals
    elif isinstance(value, list):
        text = _list_text(value)
    else:
        text = str(value)
    return [(prefix or "value", text)]


LIST_LIMIT = 1000


def _list_text(values: list) -> str:
    """Numbers on one line; texts (rejected rows...) one per line, up to 1,000."""
    if all(isinstance(v, int | float) for v in values) and len(values) <= 20:
        return ", ".join(flatten(v)[0][1] for v in values)
    if len(values) <= 10 and all(len(str(v)) <= 40 for v in values):
        return ", ".join(str(v) for v in values)  # a few names: one line
    shown = "\n".join(str(v) for v in values[:LIST_LIMIT])
    if len(values) > LIST_LIMIT:
        shown += f"\n… {len(values) - LIST_LIMIT:,} more ({len(values):,} in all)"
    return shown


def kv_table(value) -> str:
    """A JSON field (dict) as a two-column HTML table instead of raw JSON."""
    rows = flatten(value or {})
    if not rows:
        return MISSING
    body = format_html_join(
        "",
        '<tr><th style="font-weight:normal;padding:2px 12px 2px 0;text-align:left">'
        '{}</th><td style="white-space:pre-line">{}</td></tr>',
        rows,
    )
    return format_html('<table class="suite-kv">{}</table>', body)
