"""Request and response shapes of the chat API."""

from rest_framework import serializers

# Long messages are accepted (and answered with a request to shorten them); beyond
# this the request itself is refused with 400.
MAX_REQUEST_CHARS = 20_000


class MessageInput(serializers.Serializer):
    text = serializers.CharField(
        allow_blank=True, trim_whitespace=False, max_length=MAX_REQUEST_CHARS
    )


class FeedbackInput(serializers.Serializer):
    helpful = serializers.BooleanField(help_text="false for a thumbs-down")


class MessageOutput(serializers.Serializer):
    id = serializers.IntegerField()
    role = serializers.CharField()
    text = serializers.CharField()
    intent = serializers.CharField()
    confidence = serializers.FloatField(allow_null=True)
    model_version = serializers.CharField()
    quick_replies = serializers.ListField(child=serializers.CharField())
    action = serializers.CharField()
    data = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    def get_data(self, obj) -> dict:
        return (obj.slots or {}).get("data", {})


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
