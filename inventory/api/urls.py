"""URL routes of the inventory API, mounted under /api/v1/."""

urlpatterns: list = []
