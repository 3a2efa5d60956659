"""Pricing admin: review suggestions (approve / edit / reject in bulk) with charts."""

from __future__ import annotations

import json
from datetime import datetime, time

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.db.models import Count, F
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.safestring import mark_safe

from core.adminkit import (
    Decision,
    DecisionAdminMixin,
    ReadOnlyAdminMixin,
    admin_link,
    decision_note,
)
from core.exceptions import DomainError, InvalidInput
from core.formatting import MISSING, money, number, percent, units

from .charts import demand_chart, histogram_chart, objective_chart
from .models import (
    CompetitorPrice,
    ElasticityEstimate,
    PriceReadout,
    PriceSuggestion,
    PricingRule,
)
from .selectors import rules_defaults, suggestions_queue_summary
from .services import (
    readouts_summary,
    suggestions_approve,
    suggestions_edit,
    suggestions_reject,
    suggestions_roll_back,
)


def _rule_value(field: str, value) -> str:
    if value is None:
        return MISSING
    if field == "endings":
        return ", ".join(f"{v:.2f}" for v in value)
    return percent(value, places=0)


@admin.register(PricingRule)
class PricingRuleAdmin(admin.ModelAdmin):
    """Rules, with the shop-wide defaults in force above the list (nothing silent:
    the assumed margin behind every assumed unit cost is here, and editable)."""

    change_list_template = "admin/pricing/pricingrule/change_list.html"

    def changelist_view(self, request, extra_context=None):
        rows = rules_defaults()
        initial = {"scope": "shop", "note": "the defaults in force, written out"}
        for r in rows:
            if r["source"].startswith("default"):
                initial[r["field"]] = (
                    json.dumps(list(r["value"]))
                    if r["field"] == "endings"
                    else r["value"]
                )
        table = format_html_join(
            "",
            "<tr><td>{}</td><td style='text-align:right'>{}</td><td>{}</td>"
            "<td>{}</td></tr>",
            (
                (
                    r["meaning"],
                    _rule_value(r["field"], r["value"]),
                    r["source"],
                    r["setting"],
                )
                for r in rows
            ),
        )
        add = reverse("admin:pricing_pricingrule_add") + "?" + urlencode(initial)
        extra_context = {
            **(extra_context or {}),
            "defaults_table": table,
            "defaults_add_url": add,
            "has_shop_rule": any(not r["source"].startswith("default") for r in rows),
        }
        return super().changelist_view(request, extra_context=extra_context)

    list_display = (
        "scope",
        "category",
        "product",
        "objective",
        "min_margin",
        "max_change",
        "extrapolation",
        "endings",
        "assumed_margin",
        "is_active",
    )
    list_filter = ("scope", "is_active", "objective")
    raw_id_fields = ("product",)


@admin.register(CompetitorPrice)
class CompetitorPriceAdmin(admin.ModelAdmin):
    list_display = ("product", "competitor", "price", "observed_at")
    search_fields = ("product__stock_code", "competitor")
    raw_id_fields = ("product",)


@admin.register(ElasticityEstimate)
class ElasticityEstimateAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "item",
        "category",
        "status",
        "elasticity_ci",
        "quality",
        "history",
    )
    list_filter = ("is_current", "status", "pooled", "quality", "category")

    @admin.display(description="product", ordering="product__stock_code")
    def item(self, obj):
        p = obj.product
        return format_html(
            "{}<br><small>{}</small>", p.stock_code, (p.description or "")[:28]
        )

    @admin.display(description="elasticity (95 % CI)", ordering="elasticity")
    def elasticity_ci(self, obj):
        if obj.elasticity is None:
            return MISSING
        return format_html(
            "{}<br><small>{} to {}</small>",
            f"{obj.elasticity:.2f}",
            f"{obj.ci_low:.2f}",
            f"{obj.ci_high:.2f}",
        )

    @admin.display(description="weeks, prices, free lines", ordering="n_weeks")
    def history(self, obj):
        return f"{obj.n_weeks} wk, {obj.n_prices} prices, {obj.n_free_lines} free"

    search_fields = ("product__stock_code", "product__description")
    list_select_related = ("product",)
    exclude = ("points",)
    readonly_fields = ("demand_curve",)

    def get_readonly_fields(self, request, obj=None):
        names = [f.name for f in self.model._meta.fields if f.name != "points"]
        return ["demand_curve"] + names

    def changelist_view(self, request, extra_context=None):
        qs = ElasticityEstimate.objects.filter(is_current=True)
        own = qs.filter(status="identified").values_list("elasticity", flat=True)
        everyone = qs.exclude(elasticity=None).values_list("elasticity", flat=True)
        counts = dict(qs.values_list("status").annotate(n=Count("id")))
        extra_context = {
            **(extra_context or {}),
            "elasticity_charts": format_html(
                "{}{}",
                mark_safe(
                    histogram_chart(  # noqa: S308 (built server-side)
                        list(own),
                        title="Own-data elasticities (identified)",
                        x_label="elasticity",
                    )
                ),
                mark_safe(
                    histogram_chart(  # noqa: S308
                        list(everyone),
                        title="All current elasticities (incl. pooled)",
                        x_label="elasticity",
                    )
                ),
            ),
            "elasticity_summary": "Current estimates by status: "
            + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())),
        }
        return super().changelist_view(request, extra_context=extra_context)

    @admin.display(description="fitted demand curve")
    def demand_curve(self, obj):
        svg = demand_chart(obj, current=float(obj.product.list_price) or None)
        return mark_safe(svg) if svg else obj.message  # noqa: S308 (built server-side)


class SuggestionActionForm(ActionForm):
    """The bulk-action bar: approved prices take effect on a chosen date."""

    effective_date = forms.DateField(
        required=False,
        label="take effect on",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="empty or today: now",
    )


def _effective_from(request) -> datetime | None:
    raw = (request.POST.get("effective_date") or "").strip()
    if not raw:
        return None
    try:
        day = datetime.strptime(raw, "%Y-%m-%d").date()
    except ValueError:
        raise InvalidInput(
            f"effective date {raw!r} is not a date (YYYY-MM-DD)",
            field="effective_date",
        ) from None
    return timezone.make_aware(datetime.combine(day, time.min))


def _ids(rows) -> list[int]:
    return [r.pk for r in rows]


def _approve(include_uncertain: bool):
    def run(request, rows):
        done = suggestions_approve(
            suggestion_ids=_ids(rows),
            by=request.user,
            note=decision_note(request),
            include_uncertain=include_uncertain,
            effective_from=_effective_from(request),
        )
        return done.summary()

    return run


def _is_open(obj) -> bool:
    return obj.status == PriceSuggestion.Status.PROPOSED


def _change(obj) -> str:
    if obj.rule_conflict:
        return f"{money(obj.current_price)} kept"
    arrow = "↑" if obj.final_price > obj.current_price else "↓"
    share = float(obj.final_price / obj.current_price - 1) if obj.current_price else 0
    return (
        f"{money(obj.current_price)} → {money(obj.final_price)} "
        f"{arrow}{percent(abs(share), places=0)}"
    )


def _gain(obj) -> str:
    low, mid, high = obj.objective_interval
    if mid is None:
        return MISSING
    what = "profit" if obj.profit_change is not None else "revenue"
    return format_html(
        '<span style="white-space:nowrap">{}/wk {}</span><br><small>{} to {}</small>',
        money(mid, signed=True),
        what,
        money(low, signed=True),
        money(high, signed=True),
    )


def _interval(mid, low, high) -> str:
    return (
        f"{money(mid, signed=True)}/week ({money(low, signed=True)} to "
        f"{money(high, signed=True)})"
    )


def _confidence(obj) -> str:
    if obj.rule_conflict:
        return format_html('<strong style="color:#ba2121">rule conflict</strong>')
    flags = []
    if obj.uncertain:
        flags.append("uncertain")
    est = obj.estimate
    if est is not None and est.status == "prior":
        flags.append("category prior")
    elif est is not None and est.pooled:
        flags.append("pooled")
    return ", ".join(flags) or "confident"


def _evidence(obj) -> str:
    est = obj.estimate
    lines = []
    if obj.elasticity is not None:
        lines.append(
            f"e {obj.elasticity:.2f} [{obj.elasticity_low:.2f}, "
            f"{obj.elasticity_high:.2f}]"
        )
    if obj.kind == PriceSuggestion.Kind.MARKDOWN:
        lines.append(
            "cover: no demand"
            if obj.days_of_cover is None
            else f"cover {units(obj.days_of_cover, 'days', places=0)}"
        )
    elif est is not None:
        lines.append(f"{est.status}, {est.n_weeks} wk, {est.n_prices} prices")
    if not lines:
        return MISSING
    return format_html("{}<br><small>{}</small>", lines[0], " ".join(lines[1:]))


def _cost(obj) -> str:
    if obj.unit_cost is None:
        return "none: revenue"
    src = obj.cost_source
    short = (
        f"assumed {src.split()[1]}" if src.startswith("assumed") else src.split("(")[0]
    )
    return format_html("{}<br><small>{}</small>", money(obj.unit_cost), short[:24])


class ConfidenceFilter(admin.SimpleListFilter):
    title = "confidence"
    parameter_name = "confidence"

    def lookups(self, request, model_admin):
        return (
            ("confident", "confident (interval one side of 0)"),
            ("uncertain", "uncertain (interval crosses 0)"),
            ("conflict", "rule conflict"),
            ("prior", "on a category prior"),
        )

    def queryset(self, request, queryset):
        value = self.value()
        if value == "confident":
            return queryset.filter(uncertain=False, rule_conflict="")
        if value == "uncertain":
            return queryset.filter(uncertain=True)
        if value == "conflict":
            return queryset.exclude(rule_conflict="")
        if value == "prior":
            return queryset.filter(estimate__status="prior")
        return queryset


@admin.register(PriceSuggestion)
class PriceSuggestionAdmin(DecisionAdminMixin, admin.ModelAdmin):
    """The pricing queue: biggest expected profit gain first; uncertain suggestions
    flagged and left out of bulk approval; approvals take effect on a chosen date and
    can be rolled back."""

    list_display = (
        "item",
        "price",
        "expected_change",
        "confidence",
        "evidence",
        "unit_cost_shown",
    )
    list_display_links = ("item",)
    list_filter = ("status", ConfidenceFilter, "kind", "inelastic", "objective")
    search_fields = ("product__stock_code", "product__description")
    list_select_related = ("product", "estimate")
    list_per_page = 50
    ordering = (
        F("profit_change").desc(nulls_last=True),
        F("revenue_change").desc(nulls_last=True),
    )
    action_form = SuggestionActionForm
    actions = ("approve_edited",)
    change_list_template = "admin/pricing/pricesuggestion/change_list.html"
    readonly_fields = ("charts",)
    decisions = (
        Decision(
            "approve",
            "Approve (leaves out uncertain)",
            run=_approve(include_uncertain=False),
            applies=lambda o: _is_open(o) and not o.rule_conflict,
            style="primary",
            note=True,
        ),
        Decision(
            "approve_uncertain",
            "Approve although uncertain",
            run=_approve(include_uncertain=True),
            applies=lambda o: _is_open(o) and o.uncertain and not o.rule_conflict,
            note=True,
        ),
        Decision(
            "reject",
            "Reject",
            run=lambda request, rows: suggestions_reject(
                suggestion_ids=_ids(rows), by=request.user, note=decision_note(request)
            ).summary(),
            applies=_is_open,
            style="danger",
            note=True,
        ),
        Decision(
            "roll_back",
            "Roll back (restore the previous price)",
            run=lambda request, rows: suggestions_roll_back(
                suggestion_ids=_ids(rows), by=request.user, note=decision_note(request)
            ).summary(),
            applies=lambda o: (
                o.status
                in (PriceSuggestion.Status.APPLIED, PriceSuggestion.Status.SCHEDULED)
            ),
            style="danger",
            note=True,
        ),
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "charts",
                    "product",
                    "kind",
                    "status",
                    "price",
                    "edited_price",
                    "effective_from",
                    "rule_conflict",
                    "uncertain",
                    "rationale",
                )
            },
        ),
        (
            "Expected effect per week (low to high over the elasticity interval)",
            {"fields": ("effect_units", "effect_revenue", "effect_profit")},
        ),
        (
            "Evidence",
            {
                "fields": (
                    "elasticity_shown",
                    "objective",
                    "unit_cost_detail",
                    "days_of_cover_shown",
                    "binding_constraint",
                    "inelastic",
                    "model_version",
                )
            },
        ),
        (
            "Review",
            {
                "fields": (
                    "reviewed_by",
                    "reviewed_at",
                    "review_note",
                    "applied_at",
                    "price_change",
                    "rolled_back_at",
                    "rollback_change",
                    "did_it_work",
                )
            },
        ),
    )

    @admin.display(description="units")
    def effect_units(self, obj):
        return (
            f"{units(obj.units_now, 'units/week')} now; change "
            f"{number(obj.units_change, places=1, signed=True)} "
            f"({number(obj.units_change_low, places=1, signed=True)} to "
            f"{number(obj.units_change_high, places=1, signed=True)}) units/week"
        )

    @admin.display(description="revenue")
    def effect_revenue(self, obj):
        return _interval(
            obj.revenue_change, obj.revenue_change_low, obj.revenue_change_high
        )

    @admin.display(description="profit")
    def effect_profit(self, obj):
        if obj.profit_change is None:
            return "no unit cost: not estimated"
        return _interval(
            obj.profit_change, obj.profit_change_low, obj.profit_change_high
        )

    @admin.display(description="elasticity")
    def elasticity_shown(self, obj):
        if obj.elasticity is None:
            return MISSING
        est = obj.estimate
        return (
            f"{obj.elasticity:.2f} (95 % CI {obj.elasticity_low:.2f} to "
            f"{obj.elasticity_high:.2f})"
            + (f"; {est.get_status_display()}: {est.message}" if est else "")
        )

    @admin.display(description="unit cost")
    def unit_cost_detail(self, obj):
        if obj.unit_cost is None:
            return obj.cost_source or MISSING
        return f"{money(obj.unit_cost)}: {obj.cost_source}"

    @admin.display(description="days of cover")
    def days_of_cover_shown(self, obj):
        if obj.kind != PriceSuggestion.Kind.MARKDOWN:
            return MISSING
        if obj.days_of_cover is None:
            return "no demand forecast"
        return units(obj.days_of_cover, "days", places=0)

    @admin.display(description="product", ordering="product__stock_code")
    def item(self, obj):
        p = obj.product
        return format_html(
            "{}<br><small>{}</small>", p.stock_code, (p.description or "")[:28]
        )

    @admin.display(description="price (kind, status)", ordering="suggested_price")
    def price(self, obj):
        kind = "markdown" if obj.kind == PriceSuggestion.Kind.MARKDOWN else "optimise"
        return format_html(
            '<span style="white-space:nowrap">{}</span><br><small>{}, {}</small>',
            _change(obj),
            kind,
            obj.get_status_display(),
        )

    @admin.display(
        description="expected change",
        ordering=F("profit_change").desc(nulls_last=True),
    )
    def expected_change(self, obj):
        return _gain(obj)

    @admin.display(description="confidence", ordering="uncertain")
    def confidence(self, obj):
        return _confidence(obj)

    @admin.display(description="evidence", ordering="elasticity")
    def evidence(self, obj):
        return _evidence(obj)

    @admin.display(description="unit cost", ordering="unit_cost")
    def unit_cost_shown(self, obj):
        return _cost(obj)

    def get_readonly_fields(self, request, obj=None):
        editable = (
            {"edited_price", "review_note", "effective_from"}
            if (obj and _is_open(obj))
            else set()
        )
        names = [f.name for f in self.model._meta.fields if f.name not in editable]
        shown = [
            "charts",
            "did_it_work",
            "price",
            "effect_units",
            "effect_revenue",
            "effect_profit",
            "elasticity_shown",
            "unit_cost_detail",
            "days_of_cover_shown",
        ]
        return shown + names

    @admin.display(description="did it work")
    def did_it_work(self, obj):
        r = PriceReadout.objects.filter(suggestion=obj).first()
        if r is None:
            return (
                "read out after the readout weeks have passed"
                if obj.status == PriceSuggestion.Status.APPLIED
                else MISSING
            )
        return format_html(
            "{}: realised {}/week vs expected {} ({} to {}); {}",
            admin_link(r, f"after {r.weeks} weeks"),
            money(r.realised_change, signed=True),
            money(r.expected_change, signed=True),
            money(r.expected_change_low, signed=True),
            money(r.expected_change_high, signed=True),
            "a hit" if r.hit else "a miss",
        )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def decision_buttons(self, request, obj):
        buttons = super().decision_buttons(request, obj)
        if obj is not None and obj.uncertain:  # one approve button: the honest one
            buttons = [b for b in buttons if b["name"] != "approve"]
        return buttons

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "queue_summary": suggestions_queue_summary(),
        }
        return super().changelist_view(request, extra_context=extra_context)

    @admin.display(description="demand and expected profit")
    def charts(self, obj):
        est = obj.estimate
        if est is None:
            return "no elasticity estimate"
        kw = {"current": float(obj.current_price), "suggested": float(obj.final_price)}
        cost = float(obj.unit_cost) if obj.unit_cost is not None else None
        return format_html(
            '<div style="display:flex;gap:12px;flex-wrap:wrap">{}{}</div>',
            mark_safe(demand_chart(est, **kw)),  # noqa: S308 (built server-side)
            mark_safe(objective_chart(est, cost=cost, **kw)),  # noqa: S308
        )

    @admin.action(description="Approve at the EDITED prices (type them on each page)")
    def approve_edited(self, request, queryset):
        prices = dict(
            queryset.exclude(edited_price=None).values_list("pk", "edited_price")
        )
        if not prices:
            self.message_user(
                request,
                "None of the selected rows has an edited price; type one on the "
                "suggestion's page and save first.",
                messages.WARNING,
            )
            return
        try:
            done = suggestions_edit(
                prices=prices, by=request.user, effective_from=_effective_from(request)
            )
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        self.message_user(request, done.summary(), messages.SUCCESS)


@admin.register(PriceReadout)
class PriceReadoutAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """'Did it work': each applied price after N weeks, realised vs expected."""

    list_display = (
        "product",
        "changed_at",
        "price",
        "units",
        "expected",
        "realised",
        "hit",
        "direction_right",
    )
    list_filter = ("hit", "direction_right", "objective", "weeks")
    list_select_related = ("suggestion__product",)
    change_list_template = "admin/pricing/pricereadout/change_list.html"

    @admin.display(description="product", ordering="suggestion__product")
    def product(self, obj):
        return admin_link(obj.suggestion, str(obj.suggestion.product))

    @admin.display(description="price")
    def price(self, obj):
        s = obj.suggestion
        return f"{money(s.current_price)} → {money(s.final_price)}"

    @admin.display(description="units/week: baseline → actual (forecast)")
    def units(self, obj):
        return format_html(
            "{} → {}<br><small>forecast {} ({} to {})</small>",
            units(obj.units_baseline, "", places=1).strip(),
            units(obj.units_after, "", places=1).strip(),
            units(obj.units_forecast, "", places=1).strip(),
            units(obj.units_forecast_low, "", places=1).strip(),
            units(obj.units_forecast_high, "", places=1).strip(),
        )

    @admin.display(description="expected change /wk", ordering="expected_change")
    def expected(self, obj):
        return format_html(
            "{} {}<br><small>{} to {}, noise ±{}</small>",
            money(obj.expected_change, signed=True),
            obj.objective,
            money(obj.expected_change_low, signed=True),
            money(obj.expected_change_high, signed=True),
            money(obj.noise_band),
        )

    @admin.display(description="realised change /wk", ordering="realised_change")
    def realised(self, obj):
        return money(obj.realised_change, signed=True)

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "readout_summary": readouts_summary(),
        }
        return super().changelist_view(request, extra_context=extra_context)
