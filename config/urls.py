from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

api_v1 = [
    path("", include("shop.api.urls")),
    path("", include("recommender.api.urls")),
    path("", include("pricing.api.urls")),
    path("", include("inventory.api.urls")),
    path("", include("chatbot.api.urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file (no inline script: CSP).
    path(
        "api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"
    ),
    path("api/v1/", include(api_v1)),
    path("", include("core.urls")),
    path("", include("storefront.urls")),
]

admin.site.site_header = "Shop AI suite"
admin.site.site_title = "Shop AI suite"

handler404 = "core.api.not_found"
