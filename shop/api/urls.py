"""URL routes of the shop API, mounted under /api/v1/."""

urlpatterns: list = []
