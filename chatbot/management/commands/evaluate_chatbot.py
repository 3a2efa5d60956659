"""``manage.py evaluate_chatbot [--file PATH]``: accuracy, macro-F1, latency."""

from django.core.management.base import BaseCommand, CommandError

from core.exceptions import DomainError


class Command(BaseCommand):
    help = (
        "Score the active intent model on a Bitext-layout CSV (utterance or "
        "instruction + intent); default: the held-out split of the shared sample."
    )

    def add_arguments(self, parser):
        parser.add_argument("--file", default=None, help="labelled CSV")
        parser.add_argument("--latency-samples", type=int, default=200)
        parser.add_argument("--limit", type=int, default=None)

    def handle(self, *args, file=None, latency_samples=200, limit=None, **options):
        from chatbot.services.evaluation import chatbot_evaluate, evaluation_table

        try:
            run = chatbot_evaluate(
                path=file,
                latency_samples=latency_samples,
                limit=limit,
                on_warning=lambda msg: self.stderr.write(f"warning: {msg}"),
            )
        except DomainError as exc:
            option = f"--{exc.field.replace('_', '-')}: " if exc.field else ""
            raise CommandError(f"{option}{exc.message}") from None
        self.stdout.write(evaluation_table(run))
