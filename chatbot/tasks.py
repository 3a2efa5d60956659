"""Celery tasks of the chatbot (thin wrappers; twins: ``manage.py train_chatbot``)."""

from core.tracked import tracked_task


@tracked_task(name="chatbot.train", lock=True)
def chatbot_train_task(force: bool = False) -> dict:
    """Train (or reuse) the intent model on the data and the reviewed examples."""
    from .services.training import chatbot_train

    artifact = chatbot_train(force=force)
    return {"artifact": artifact.label, **(artifact.metrics or {})}
