import pytest

from experiments.impressions import impressions_discard
from experiments.serving import serving_cache_clear
from recommender.services.serving import serving_cache_clear as rec_cache_clear


@pytest.fixture(autouse=True)
def _fresh_experiment_state(settings):
    """Impressions written at once; no cached experiments from another test."""
    settings.EXPERIMENTS = {
        "impression_batch": 1,
        "cache_seconds": 0,
        "impression_writer": "inline",
    }
    impressions_discard()
    serving_cache_clear()
    rec_cache_clear()
    yield
    impressions_discard()
    serving_cache_clear()


def two_variants(**control_config):
    return [
        {"name": "control", "share": "0.5", "is_control": True,
         "serving_config": control_config},
        {"name": "treatment", "share": "0.5", "serving_config": {"holdout": True}},
    ]  # fmt: skip
