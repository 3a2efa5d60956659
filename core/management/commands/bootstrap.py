from django.core.management.base import BaseCommand

from core.bootstrap import admin_ensure, bootstrap_run, demo_customer_login


class Command(BaseCommand):
    help = "Main-job set-up: admin account, import the real data, train first models."

    def add_arguments(self, parser):
        parser.add_argument("--skip", nargs="*", default=[], help="step names to skip")

    def handle(self, *args, skip, **options):
        username, password = admin_ensure()
        results = bootstrap_run(stdout=self.stdout, skip=set(skip))
        demo = demo_customer_login()
        self.stdout.write("\n=== summary")
        for r in results:
            line = f"  {r.name:<20} {r.status:<12} {r.seconds:8.1f} s  {r.detail}"
            self.stdout.write(line)
        self.stdout.write(f"\nadmin login: {username} / {password}")
        self.stdout.write("(kept in var/credentials.txt)")
        if demo:
            self.stdout.write(
                f"customer 17850 login: {demo[0]} / {demo[1]} (storefront: sign in "
                "at /account/login/; the API takes it too)"
            )
        if any(r.status == "failed" for r in results):
            self.stderr.write("some steps failed; see above. Serving starts anyway.")
