"""Operational endpoints (health)."""

urlpatterns: list = []
