"""Chat API: start a conversation, post a message, read a transcript.

Anonymous conversations are allowed and bound to the visitor's session (the
``sessionid`` cookie set by the start call); a signed-in user's belong to that user.
A visitor who signs in mid-chat keeps the conversation started in that browser, and
a new visit resumes the latest open one (``conversations/current/``).
Order answers need a signed-in customer (checked per message by the dialogue). Posting
is throttled with the ``chat`` scope.
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.exceptions import NotFound

from ..models import Conversation
from ..services.conversations import (
    conversation_current,
    conversation_get,
    conversation_remember,
    conversation_start,
    message_post,
)
from ..services.review import message_feedback
from . import examples as ex
from .serializers import (
    ConversationStartOutput,
    FeedbackInput,
    MessageInput,
    ReplyOutput,
    TranscriptOutput,
)


class ChatView(APIView):
    permission_classes = [AllowAny]
    throttle_scope = "chat"

    def conversation(self, public_id) -> Conversation:
        """The conversation if the requester started it (404 otherwise)."""
        return conversation_get(
            public_id=public_id,
            user=self.request.user,
            session_key=self.request.session.session_key or "",
        )


class ConversationStartView(ChatView):
    @extend_schema(
        request=None, responses={201: ConversationStartOutput}, examples=[ex.START]
    )
    def post(self, request):
        if not request.session.session_key:
            request.session.create()  # binds an anonymous chat to this visitor
        conversation, welcome = conversation_start(
            user=request.user, session_key=request.session.session_key
        )
        # An anonymous chat follows the visitor when they sign in (Django changes the
        # session key then): chatbot.receivers.adopt_anonymous_conversations.
        conversation_remember(session=request.session, conversation=conversation)
        body = {"conversation": conversation, "reply": welcome}
        return Response(
            ConversationStartOutput(body, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class MessagePostView(ChatView):
    @extend_schema(
        request=MessageInput,
        responses={200: ReplyOutput},
        examples=[ex.MESSAGE_REQUEST, ex.REPLY],
    )
    def post(self, request, public_id):
        data = MessageInput(data=request.data)
        data.is_valid(raise_exception=True)
        conversation = self.conversation(public_id)
        reply = message_post(
            conversation=conversation,
            text=data.validated_data["text"],
            user=request.user,
        )
        conversation.refresh_from_db()
        body = {
            "conversation": conversation,
            "reply": reply,
            "handoff": conversation.status == Conversation.Status.HANDED_OFF,
        }
        return Response(ReplyOutput(body, context={"request": request}).data)


class TranscriptView(ChatView):
    throttle_scope = None

    @extend_schema(responses={200: TranscriptOutput}, examples=[ex.TRANSCRIPT])
    def get(self, request, public_id):
        conversation = self.conversation(public_id)
        body = {"conversation": conversation, "messages": conversation.messages.all()}
        return Response(TranscriptOutput(body, context={"request": request}).data)


class CurrentConversationView(ChatView):
    """The conversation a new visit resumes (the widget calls it when the tab has
    none): the requester's latest not closed, by account or by session."""

    throttle_scope = None

    @extend_schema(
        responses={
            200: TranscriptOutput,
            204: OpenApiResponse(
                None, description="No conversation to resume: start one (POST)."
            ),
        },
        examples=[ex.TRANSCRIPT],
    )
    def get(self, request):
        try:
            conversation = conversation_current(
                user=request.user, session_key=request.session.session_key or ""
            )
        except NotFound:
            return Response(status=status.HTTP_204_NO_CONTENT)
        body = {"conversation": conversation, "messages": conversation.messages.all()}
        return Response(TranscriptOutput(body, context={"request": request}).data)


class FeedbackView(ChatView):
    """A thumbs-up or -down on one of the bot's replies; a thumbs-down puts the
    customer's message in the admin's "misunderstood messages" review queue."""

    @extend_schema(
        request=FeedbackInput, responses={204: None}, examples=[ex.FEEDBACK_REQUEST]
    )
    def post(self, request, public_id, message_id):
        data = FeedbackInput(data=request.data)
        data.is_valid(raise_exception=True)
        message_feedback(
            conversation=self.conversation(public_id),
            message_id=message_id,
            helpful=data.validated_data["helpful"],
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
