"""URL routes of the chatbot API, mounted under /api/v1/."""

urlpatterns: list = []
