"""Jobs of the recommender started from the admin (see core.jobs): evaluate, retrain."""

from __future__ import annotations

from datetime import date

from django import forms
from django.urls import reverse

from core.jobs import Job, JobForm, Link, register, register_link

from .registry import ALGORITHMS


def _choices(*, servable: bool) -> list[tuple[str, str]]:
    return [
        (name, name)
        for name, spec in sorted(ALGORITHMS.items())
        if spec.servable or not servable
    ]


class EvaluateForm(JobForm):
    cutoff = forms.DateField(
        initial=date(2011, 9, 1),
        help_text="Train on the orders before this day, test on the orders after it "
        "(YYYY-MM-DD; the data end on 2011-12-09).",
    )
    algorithms = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every algorithm (the slowest take minutes).",
    )
    k = forms.IntegerField(
        initial=10, min_value=1, max_value=100, help_text="List length of NDCG@k."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["algorithms"].choices = _choices(servable=False)


class TrainForm(JobForm):
    algorithm = forms.ChoiceField(
        required=False,
        help_text="Empty: the default set; the best on the validation window serves.",
    )
    force = forms.BooleanField(
        required=False,
        help_text="Retrain even when the data and parameters did not change.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["algorithm"].choices = [("", "default set")] + _choices(
            servable=True
        )


def _evaluation_link(run):
    pk = run.metrics.get("evaluation_run")
    url = reverse("admin:recommender_evaluationrun_change", args=[pk])
    return [
        (f"Evaluation run #{pk}", url),
        ("All evaluations", reverse("admin:recommender_evaluationrun_changelist")),
    ]


def _models_link(run):
    return [
        ("Recommender models", reverse("admin:recommender_recommendermodel_changelist"))
    ]


register(
    Job(
        name="recommender-evaluate",
        task="recommender.evaluate",
        title="Evaluate the recommenders",
        description="Fit each algorithm on the orders before a cut-off and measure "
        "NDCG@k, precision, recall and coverage on the orders after it, for all "
        "customers and for new ones.",
        audience="merchandiser",
        form=EvaluateForm,
        permission="recommender.view_evaluationrun",
        results=_evaluation_link,
    )
)
register(
    Job(
        name="recommender-train",
        task="recommender.train",
        title="Retrain the recommenders",
        description="Train on all orders; a new version serves only when it beats "
        "the active one on the newest weeks.",
        audience="merchandiser",
        form=TrainForm,
        permission="recommender.view_recommendermodel",
        results=_models_link,
    )
)
register_link(
    Link(
        name="recommender-preview",
        title="Preview recommendations",
        url=lambda: reverse("admin:recommender_preview"),
        audience="merchandiser",
        permission="recommender.view_recommendermodel",
    )
)
