"""Request and response shapes of the chat API."""

from django.core.validators import ProhibitNullCharactersValidator
from rest_framework import serializers

# Long messages are accepted (and answered with a request to shorten them); beyond
# this the request itself is refused with 400.
MAX_REQUEST_CHARS = 20_000


class ChatTextField(serializers.CharField):
    """A customer's message: NUL characters are accepted (the bot answers that it
    can only read text; they are stored as U+FFFD) instead of a 400."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators = [
            v
            for v in self.validators
            if not isinstance(v, ProhibitNullCharactersValidator)
        ]


class MessageInput(serializers.Serializer):
    text = ChatTextField(
        allow_blank=True, trim_whitespace=False, max_length=MAX_REQUEST_CHARS
    )


class FeedbackInput(serializers.Serializer):
    helpful = serializers.BooleanField(help_text="false for a thumbs-down")


# What the bot understood is for staff only: a customer sees the reply, never the
# intent label, its confidence, the model version or the FAQ match score.
STAFF_ONLY_FIELDS = ("intent", "confidence", "model_version")
STAFF_ONLY_DATA = ("faq", "score")


def is_staff_request(context: dict) -> bool:
    request = context.get("request")
    return bool(request is not None and getattr(request.user, "is_staff", False))


class MessageOutput(serializers.Serializer):
    """One message. ``intent``, ``confidence`` and ``model_version`` are present only
    for staff users (omitted, not blank, for customers and anonymous visitors)."""

    id = serializers.IntegerField()
    role = serializers.CharField()
    text = serializers.CharField()
    intent = serializers.CharField(required=False)
    confidence = serializers.FloatField(allow_null=True, required=False)
    model_version = serializers.CharField(required=False)
    quick_replies = serializers.ListField(child=serializers.CharField())
    action = serializers.CharField()
    data = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    def get_data(self, obj) -> dict:
        data = dict((obj.slots or {}).get("data", {}))
        if not is_staff_request(self.context):
            for key in STAFF_ONLY_DATA:
                data.pop(key, None)
        return data

    def to_representation(self, instance) -> dict:
        body = super().to_representation(instance)
        if not is_staff_request(self.context):
            for key in STAFF_ONLY_FIELDS:
                body.pop(key, None)
        return body


class ConversationOutput(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    status = serializers.CharField()
    created_at = serializers.DateTimeField()


class ConversationStartOutput(serializers.Serializer):
    conversation = ConversationOutput()
    reply = MessageOutput()


class ReplyOutput(serializers.Serializer):
    conversation = ConversationOutput()
    reply = MessageOutput()
    handoff = serializers.BooleanField()


class TranscriptOutput(serializers.Serializer):
    conversation = ConversationOutput()
    messages = MessageOutput(many=True)
