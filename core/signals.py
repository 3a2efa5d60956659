"""Cross-app signals.

``customer_erased(sender, customer_id: int)`` is sent, inside the erasure transaction,
after a customer's personal data was anonymised on request. Apps that keep derived
personal data (chat transcripts, precomputed recommendations, training snapshots)
connect a receiver that redacts or drops theirs.

``artifact_activated(sender=ModelArtifact, artifact: ModelArtifact)`` is sent after
the transaction that made ``artifact`` the active model of its kind commits (e.g.
the recommender recomputes its precomputed lists).
"""

from django.dispatch import Signal

customer_erased = Signal()
artifact_activated = Signal()
