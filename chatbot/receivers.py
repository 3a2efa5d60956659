"""Signal receivers: redact chat transcripts when a customer is erased; an anonymous
visitor's chat follows them when they sign in."""

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from core.signals import customer_erased


@receiver(customer_erased, dispatch_uid="chatbot.redact_transcripts")
def redact_transcripts(sender, customer_id: int, **kwargs) -> None:
    from .services.conversations import customer_transcripts_redact

    customer_transcripts_redact(customer_id=customer_id)


@receiver(user_logged_in, dispatch_uid="chatbot.adopt_anonymous_conversations")
def adopt_anonymous_conversations(sender, request, user, **kwargs) -> None:
    session = getattr(request, "session", None)
    if session is None:
        return
    from .services.conversations import conversations_adopt

    conversations_adopt(session=session, user=user)
