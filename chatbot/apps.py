from django.apps import AppConfig


class ChatbotConfig(AppConfig):
    name = "chatbot"
    verbose_name = "Customer-service chatbot"

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (connects customer_erased)
