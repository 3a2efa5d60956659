"""``manage.py train_chatbot``: train the intent model, seed the FAQ, index products."""

import time

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Train (or reuse) the chatbot's intent model and build its product index."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="train even if unchanged"
        )
        parser.add_argument("--per-intent-limit", type=int, default=None)

    def handle(self, *args, force=False, per_intent_limit=None, **options):
        from chatbot.services.training import chatbot_train

        start = time.perf_counter()
        artifact = chatbot_train(
            force=force, per_intent_limit=per_intent_limit, show_progress=True
        )
        m = artifact.metrics
        self.stdout.write(
            self.style.SUCCESS(
                f"{artifact.label} active ({time.perf_counter() - start:.0f} s): "
                f"{m.get('intents')} intents, {m.get('n_train')} training texts, "
                f"held-out accuracy {m.get('holdout_accuracy', 0):.4f}, "
                f"macro-F1 {m.get('holdout_macro_f1', 0):.4f}"
            )
        )
