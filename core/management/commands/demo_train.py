from django.core.management.base import BaseCommand

from core.demo import demo_train


class Command(BaseCommand):
    help = "Train and activate the operations demo model (twin of core.demo_train)."

    def add_arguments(self, parser):
        parser.add_argument("--n-samples", type=int, default=2000)
        parser.add_argument("--epochs", type=int, default=100)
        parser.add_argument("--seconds-per-epoch", type=float, default=0.0)
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args, n_samples, epochs, seconds_per_epoch, seed, **options):
        artifact = demo_train(
            n_samples=n_samples,
            epochs=epochs,
            seconds_per_epoch=seconds_per_epoch,
            seed=seed,
        )
        self.stdout.write(f"{artifact.label} active; metrics {artifact.metrics}")
