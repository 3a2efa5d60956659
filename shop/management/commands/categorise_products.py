"""``manage.py categorise_products``: give the shop's products categories."""

from django.core.management.base import BaseCommand, CommandError

from core.exceptions import DomainError
from core.locks import single_flight
from shop.services.categories import products_categorise


class Command(BaseCommand):
    help = (
        "Assign categories to the shop's own products from their descriptions: the "
        "keyword rules of Shop > Categories (seeded once with a gift-shop list), "
        "then look-alikes by sentence embeddings, then named clusters. Products set "
        "by hand keep their category. Idempotent: unchanged inputs are not redone."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="recompute even if nothing changed"
        )

    def handle(self, *args, force, **options):
        try:
            with single_flight("shop.categorise"):
                result = products_categorise(force=force, progress_bar=True)
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(summary_table(result))


def summary_table(result) -> str:
    """Plain-text summary of a :class:`CategorisationResult`."""
    lines = [
        f"Categories: {result.status}; {result.products:,} products, "
        f"{len(result.by_category)} categories, {result.moved:,} moved this run.",
        "",
        f"{'assigned by':<24}{'products':>10}",
    ]
    lines += [f"{k:<24}{v:>10,}" for k, v in sorted(result.by_source.items())]
    lines += ["", f"{'category':<32}{'products':>10}"]
    lines += [f"{k[:31]:<32}{v:>10,}" for k, v in result.by_category.items()]
    check = result.neighbour_check
    if check.get("agreement") is not None:
        lines.append(
            f"\nLook-alike check (leave-one-out on {check['checked']:,} products the "
            f"rules place): places {check['placed']:.1%}, agrees with the rule on "
            f"{check['agreement']:.1%}."
        )
    if result.created:
        lines.append(
            "New categories (rename in the admin): " + ", ".join(result.created)
        )
    lines.append("Edit rules, rename, merge: /admin/shop/category/")
    return "\n".join(lines)
