"""Template filters of the admin: numbers with their unit (see core.formatting)."""

from __future__ import annotations

from django import template

from core import formatting

register = template.Library()


@register.filter
def money(value, currency: str = "GBP") -> str:
    return formatting.money(value, currency or "GBP")


@register.filter
def percent(value) -> str:
    return formatting.percent(value)


@register.filter
def number(value, places: int = 0) -> str:
    return formatting.number(value, places=int(places))


@register.filter
def duration(value) -> str:
    return formatting.duration(value)


@register.filter
def age(value) -> str:
    return formatting.age(value)


@register.filter
def moment(value) -> str:
    return formatting.moment(value)


@register.filter
def day(value) -> str:
    return formatting.day(value)


STATUS_CLASSES = {
    "succeeded": "ok",
    "active": "ok",
    "applied": "ok",
    "approved": "ok",
    "failed": "bad",
    "rejected": "bad",
    "running": "busy",
    "pending": "busy",
    "retried": "warn",
    "skipped": "warn",
    "candidate": "warn",
}


@register.simple_tag
def status_badge(status: str) -> str:
    """A coloured badge for a run or record status."""
    from django.utils.html import format_html

    css = STATUS_CLASSES.get(str(status), "neutral")
    return format_html('<span class="badge badge-{}">{}</span>', css, status)
