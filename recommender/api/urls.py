"""URL routes of the recommender API, mounted under /api/v1/."""

urlpatterns: list = []
