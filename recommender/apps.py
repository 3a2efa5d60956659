from django.apps import AppConfig


class RecommenderConfig(AppConfig):
    name = "recommender"
    verbose_name = "Recommendations"

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (connects the signal receivers)
