"""Celery tasks of the chatbot (thin wrappers; twins: ``manage.py train_chatbot``)."""

from celery import shared_task
from django.db import OperationalError


@shared_task(
    name="chatbot.train",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
)
def chatbot_train_task(force: bool = False) -> str:
    from .services.training import chatbot_train

    return chatbot_train(force=force).label
