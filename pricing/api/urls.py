"""URL routes of the pricing API, mounted under /api/v1/."""

urlpatterns: list = []
