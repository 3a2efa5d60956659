"""URL routes of the chatbot API, mounted under /api/v1/."""

from django.urls import path

from . import views

urlpatterns = [
    path(
        "chat/conversations/",
        views.ConversationStartView.as_view(),
        name="chat-conversation-start",
    ),
    path(
        "chat/conversations/current/",
        views.CurrentConversationView.as_view(),
        name="chat-conversation-current",
    ),
    path(
        "chat/conversations/<uuid:public_id>/",
        views.TranscriptView.as_view(),
        name="chat-transcript",
    ),
    path(
        "chat/conversations/<uuid:public_id>/messages/",
        views.MessagePostView.as_view(),
        name="chat-message-post",
    ),
    path(
        "chat/conversations/<uuid:public_id>/messages/<int:message_id>/feedback/",
        views.FeedbackView.as_view(),
        name="chat-message-feedback",
    ),
]
