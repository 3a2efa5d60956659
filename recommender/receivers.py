"""Signal receivers of the recommender (connected in ``RecommenderConfig.ready``).

* a product or customer created in the shop (not by a bulk import) enqueues its
  cold-start task after the transaction commits;
* ``core.signals.customer_erased`` drops what the recommender derived from them;
* ``core.signals.artifact_activated`` of a serving model launches the recomputation
  of the precomputed lists (``recommender.services.precompute``).
"""

from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import receiver

from core.enqueue import enqueue_on_commit
from core.signals import artifact_activated, customer_erased
from shop.models import Customer, Product

from .conf import rec_settings


def _cold_start_wanted(instance, created: bool, raw: bool) -> bool:
    conf = rec_settings()
    return (
        created
        and not raw
        and conf.get("cold_start_on_create", True)
        and instance.source not in conf.get("cold_start_skip_sources", ())
    )


@receiver(post_save, sender=Product, dispatch_uid="recommender_product_created")
def product_created(sender, instance: Product, created: bool, raw=False, **kwargs):
    if _cold_start_wanted(instance, created, raw):
        from .tasks import recommender_cold_start_product_task as task

        enqueue_on_commit(task, instance.pk)  # never fails the save (Redis down)


@receiver(post_save, sender=Customer, dispatch_uid="recommender_customer_created")
def customer_created(sender, instance: Customer, created: bool, raw=False, **kwargs):
    if _cold_start_wanted(instance, created, raw):
        from .tasks import recommender_cold_start_customer_task as task

        enqueue_on_commit(task, instance.pk)  # never fails the save (Redis down)


@receiver(customer_erased, dispatch_uid="recommender_customer_erased")
def forget_customer(sender, customer_id: int, **kwargs) -> None:
    from .services.coldstart import customer_forget

    customer_forget(customer_id=customer_id)


@receiver(artifact_activated, dispatch_uid="recommender_precompute_after_promotion")
def precompute_after_promotion(sender, artifact, **kwargs) -> None:
    from .services.precompute import precompute_after_promotion as launch

    launch(kind=artifact.kind)
