"""Signal receivers: redact chat transcripts when a customer is erased."""

from django.dispatch import receiver

from core.signals import customer_erased


@receiver(customer_erased, dispatch_uid="chatbot.redact_transcripts")
def redact_transcripts(sender, customer_id: int, **kwargs) -> None:
    from .services.conversations import customer_transcripts_redact

    customer_transcripts_redact(customer_id=customer_id)
