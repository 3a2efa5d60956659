"""Read-only records of the shop in the admin: stock, movements, events, ratings and
import reports (each rejected row with its number). Written by services and imports."""

from __future__ import annotations

import os

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode

from core.adminkit import ReadOnlyAdminMixin
from core.formatting import MISSING, duration, moment, number

from .charts import import_issues_chart
from .models import Event, ImportIssue, ImportReport, Rating, StockLevel, StockMovement


@admin.register(StockLevel)
class StockLevelAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Units per product; sorted by what is available, assumed levels marked."""

    list_display = ("product", "available_", "on_hand_", "reserved_", "counted")
    list_filter = ("is_assumed",)
    search_fields = ("product__stock_code", "product__description")
    list_select_related = ("product",)
    ordering = ("on_hand",)
    fields = (
        "product",
        "on_hand",
        "reserved",
        "available_",
        "is_assumed",
        "assumption",
    )
    readonly_fields = fields

    @admin.display(description="available", ordering="on_hand")
    def available_(self, obj):
        return f"{number(obj.available)} units"

    @admin.display(description="on hand", ordering="on_hand")
    def on_hand_(self, obj):
        return number(obj.on_hand)

    @admin.display(description="reserved", ordering="reserved")
    def reserved_(self, obj):
        return number(obj.reserved)

    @admin.display(description="source of the level", ordering="is_assumed")
    def counted(self, obj):
        if obj.is_assumed:
            return format_html(
                '<span title="{}">assumed by a rule</span>', obj.assumption or ""
            )
        return f"counted, {moment(obj.updated_at)}"


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "product",
        "delta_on_hand",
        "delta_reserved",
        "reason",
        "reference",
        "changed_at",
        "changed_by",
    )
    list_filter = ("reason",)
    search_fields = ("product__stock_code", "reference")
    list_select_related = ("product", "changed_by")


@admin.register(Event)
class EventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("occurred_at", "kind", "customer", "product", "query")
    list_filter = ("kind",)
    search_fields = ("session_key", "query", "customer__external_id")
    list_select_related = ("customer", "product")
    exclude = ("metadata",)


@admin.register(Rating)
class RatingAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("customer", "product", "stars", "rated_at")
    list_filter = ("customer__source",)
    search_fields = ("customer__external_id", "product__stock_code")
    list_select_related = ("customer", "product")

    @admin.display(description="rating", ordering="value")
    def stars(self, obj):
        return f"{obj.value:g} / 5"


def _issues_url(report_id: int, **extra) -> str:
    query = urlencode({"report__id__exact": report_id, **extra})
    return f"{reverse('admin:shop_importissue_changelist')}?{query}"


@admin.register(ImportReport)
class ImportReportAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every import: what came in, and each rejected or repaired row by number."""

    list_display = (
        "id",
        "when",
        "kind",
        "file",
        "status",
        "rejected",
        "repaired",
        "imported",
        "rows",
    )
    list_filter = ("kind", "status")
    search_fields = ("path", "file_sha256")
    fields = (
        "kind",
        "path",
        "file_sha256",
        "status",
        "started_at",
        "finished_at",
        "took",
        "rows",
        "imported",
        "skipped",
        "rejected",
        "repaired",
        "encoding",
        "time_zone",
        "summary",
        "error",
        "issues_by_reason",
        "issues_chart",
        "first_issues",
    )
    readonly_fields = fields
    FIRST_ISSUES = 25

    @admin.display(description="file", ordering="path")
    def file(self, obj):
        return os.path.basename(obj.path)

    @admin.display(description="rows in file", ordering="rows_total")
    def rows(self, obj):
        return number(obj.rows_total)

    @admin.display(description="imported", ordering="rows_imported")
    def imported(self, obj):
        return number(obj.rows_imported)

    @admin.display(description="skipped (already present)")
    def skipped(self, obj):
        return number(obj.rows_skipped_existing)

    @admin.display(description="rejected rows", ordering="rows_rejected")
    def rejected(self, obj):
        if not obj.rows_rejected:
            return "0"
        url = _issues_url(obj.pk, action__exact="rejected")
        return format_html('<a href="{}">{}</a>', url, number(obj.rows_rejected))

    @admin.display(description="repaired rows", ordering="rows_repaired")
    def repaired(self, obj):
        return number(obj.rows_repaired)

    @admin.display(description="when", ordering="created_at")
    def when(self, obj):
        return moment(obj.created_at)

    @admin.display(description="took")
    def took(self, obj):
        if obj.started_at and obj.finished_at:
            return duration((obj.finished_at - obj.started_at).total_seconds())
        return MISSING

    @admin.display(description="first issues")
    def first_issues(self, obj):
        rows = obj.issues.order_by("row_number", "id")[: self.FIRST_ISSUES]
        body = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
            "</tr>",
            (
                (i.row_number, i.action, i.reason, i.field, i.value, i.message)
                for i in rows
            ),
        )
        if not body:
            return "none: every row was imported as it was"
        return format_html(
            "<table><thead><tr><th>row</th><th>action</th><th>reason</th>"
            "<th>field</th><th>value</th><th>message</th></tr></thead>"
            '<tbody>{}</tbody></table><p><a href="{}">All issues, paginated</a></p>',
            body,
            _issues_url(obj.pk),
        )

    @admin.display(description="issues by reason")
    def issues_by_reason(self, obj):
        rows = [
            (
                action,
                _issues_url(obj.pk, action__exact=action, reason__exact=reason),
                reason,
                number(n),
            )
            for action in ("rejected", "repaired", "flagged")
            for reason, n in sorted(obj.counts_by_reason.get(action, {}).items())
        ]
        if not rows:
            return "none"
        body = format_html_join(
            "",
            '<tr><td>{}</td><td><a href="{}">{}</a></td>'
            '<td style="text-align:right">{}</td></tr>',
            rows,
        )
        return format_html(
            "<table><thead><tr><th>action</th><th>reason</th><th>rows</th></tr>"
            '</thead><tbody>{}</tbody></table><p><a href="{}">All issues of this '
            "report, with row numbers</a></p>",
            body,
            _issues_url(obj.pk),
        )

    @admin.display(description="chart")
    def issues_chart(self, obj):
        if not obj.counts_by_reason:
            return "no rejected, repaired or flagged rows"
        return import_issues_chart(obj)


@admin.register(ImportIssue)
class ImportIssueAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "row_number",
        "action",
        "reason",
        "field",
        "value",
        "message",
        "report",
    )
    list_filter = ("action", "reason", "report")
    search_fields = ("value", "message")
    list_per_page = 100
    ordering = ("report", "row_number")
