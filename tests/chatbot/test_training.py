"""Training, idempotency, evaluation command, admin pages and the Celery task twin."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from chatbot.models import EvaluationRun, IntentExample
from core.models import ModelArtifact

pytestmark = pytest.mark.slow
LIMIT = 20  # rows per intent: the same slice the chat_model fixture trains on


def test_train_activates_reuses_and_keeps_old_model_on_failure(db, monkeypatch):
    from chatbot.services import training
    from chatbot.services.nlu import nlu_parse

    first = training.chatbot_train(per_intent_limit=LIMIT, build_product_index=False)
    assert first.status == ModelArtifact.Status.ACTIVE
    assert first.metrics["intents"] == 36
    assert first.metrics["holdout_accuracy"] > 0.8
    assert IntentExample.objects.filter(source="seed").count() > 150
    assert EvaluationRun.objects.filter(artifact=first).exists()
    assert nlu_parse("hello there").intent == "greeting"

    again = training.chatbot_train(per_intent_limit=LIMIT, build_product_index=False)
    assert again.pk == first.pk  # same data and parameters: nothing retrained

    IntentExample.objects.create(
        text="is the shop open on easter monday", intent="opening_hours"
    )

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(training, "artifact_create", broken)
    with pytest.raises(RuntimeError):
        training.chatbot_train(per_intent_limit=LIMIT, build_product_index=False)
    first.refresh_from_db()
    assert first.status == ModelArtifact.Status.ACTIVE  # the old model still serves


def test_evaluate_command_on_a_labelled_file(chat_model, tmp_path):
    path = tmp_path / "eval.csv"
    path.write_text(
        "instruction,intent\n"
        "where is my parcel,track_order\n"
        "I need to cancel purchase 123456,cancel_order\n"
        "i want to see my invoices,check_invoices\n"
        "hello,greeting\n",
        encoding="utf-8",
    )
    out = io.StringIO()
    call_command("evaluate_chatbot", file=str(path), latency_samples=4, stdout=out)
    text = out.getvalue()
    assert "accuracy" in text and "macro-F1" in text and "p95" in text
    assert "check_invoice " in text  # the 20k label is mapped to the canonical name
    run = EvaluationRun.objects.latest("created_at")
    assert run.n_examples == 4 and 0.0 <= run.accuracy <= 1.0
    assert run.latency_p95_ms >= run.latency_p50_ms > 0


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"foo,bar\n1,2\n", r"bad\.csv: needs a text column.*intent"),
        (b"utterance\nwhere is my parcel\n", r"bad\.csv: needs .* intent column"),
        (b"", r"bad\.csv: the file is empty"),
        (b"\x1f\x8b\x08\x00\xff\xfe\x00", r"bad\.csv: not UTF-8"),
        (b'utterance,intent\n"unclosed,track_order\n', r"bad\.csv: not a readable"),
        (b"utterance,intent\n  ,track_order\n", r"bad\.csv: no labelled rows"),
        (None, r"file not found: .*bad\.csv"),
    ],
)
def test_evaluate_command_rejects_bad_file(db, tmp_path, content, match):
    from django.core.management import CommandError

    path = tmp_path / "bad.csv"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(CommandError, match=match):  # not a traceback, no model needed
        call_command("evaluate_chatbot", file=str(path))


def test_evaluate_command_warns_of_unknown_labels_and_blank_rows(chat_model, tmp_path):
    path = tmp_path / "eval.csv"
    path.write_text(
        "utterance,intent\n"
        "where is my parcel,track_order\n"
        "  ,track_order\n"
        "is the shop open on sunday,shop_hours\n"
        "when do you open,shop_hours\n",
        encoding="utf-8",
    )
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "evaluate_chatbot", file=str(path), latency_samples=1, stdout=out, stderr=err
    )
    assert "1 row(s) with blank text dropped" in err.getvalue()
    assert "2 row(s) carry 1 intent label(s)" in err.getvalue()
    assert "shop_hours (2)" in err.getvalue()
    assert EvaluationRun.objects.latest("created_at").n_examples == 3


def test_admin_pages_render_with_charts(admin_client, chat_model, tmp_path):
    from chatbot.services.evaluation import classification_metrics, evaluation_record

    run = evaluation_record(
        artifact=chat_model,
        dataset="<b>x</b>",
        metrics=classification_metrics(["a", "b", "b"], ["a", "b", "a"]),
    )
    page = admin_client.get(f"/admin/chatbot/evaluationrun/{run.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html and "&lt;b&gt;x&lt;/b&gt;" in html
    for name in ("supportticket", "faqentry", "intentexample", "evaluationrun"):
        assert admin_client.get(f"/admin/chatbot/{name}/").status_code == 200


def test_task_twin_calls_the_service(db, monkeypatch):
    from chatbot import tasks
    from chatbot.services import training

    calls = []
    monkeypatch.setattr(
        training,
        "chatbot_train",
        lambda **kw: (
            calls.append(kw)
            or type("A", (), {"label": "x", "metrics": {"holdout_accuracy": 0.9}})
        ),
    )
    assert tasks.chatbot_train_task.delay(force=True).get() == {
        "artifact": "x",
        "holdout_accuracy": 0.9,
    }
    assert calls == [{"force": True}]


def test_changed_examples_queue_retraining_with_a_broker(
    admin_client, db, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from chatbot import tasks

    queued = []
    monkeypatch.setattr(tasks.chatbot_train_task, "delay", lambda: queued.append(1))
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/chatbot/intentexample/add/",
            {"text": "is the shop open on easter monday", "intent": "opening_hours",
             "source": "admin", "is_active": "on"},
        )  # fmt: skip
    assert response.status_code == 302
    assert queued == [1]
    settings.CELERY_TASK_ALWAYS_EAGER = True  # eager: never blocks the admin request
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            "/admin/chatbot/intentexample/add/",
            {"text": "open on boxing day?", "intent": "opening_hours",
             "source": "admin", "is_active": "on"},
        )  # fmt: skip
    assert queued == [1]
