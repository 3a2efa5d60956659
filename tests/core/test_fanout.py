"""Fan-out helper (eager mode here; tests/integration and benchmarks/workers.py run it
on real workers)."""

from __future__ import annotations

import pytest
from celery import shared_task

from core.exceptions import InvalidInput
from core.fanout import chunked, fanout_run
from core.models import TaskRun

seen: list[list[int]] = []


@shared_task(name="tests.core.square_chunk")
def square_chunk(ids: list[int], power: int = 2) -> dict:
    seen.append(list(ids))
    return {"sum": sum(i**power for i in ids)}


published: list = []


@shared_task(name="tests.core.publish")
def publish(results: list) -> None:
    published.append(results)


@shared_task(name="tests.core.bad_chunk")
def bad_chunk(ids: list[int]) -> None:
    if 3 in ids:
        raise ValueError("id 3 is broken")


def test_chunked():
    assert chunked([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]]
    assert chunked([], 3) == []
    with pytest.raises(InvalidInput):
        chunked([1], 0)


@pytest.mark.django_db
def test_fanout_runs_every_chunk_and_records_the_parent():
    seen.clear()
    parent = fanout_run(
        task_name="tests.core.square_chunk",
        ids=range(1, 11),
        chunk_size=3,
        kwargs={"power": 2},
    )
    parent.refresh_from_db()
    assert seen == [[1, 2, 3], [4, 5, 6], [7, 8, 9], [10]]
    assert parent.task_name == "tests.core.square_chunk:fanout"
    assert parent.status == TaskRun.Status.SUCCEEDED
    assert parent.progress == pytest.approx(1.0)
    assert parent.metrics["chunks"] == 4
    assert sum(r["sum"] for r in parent.metrics["results"]) == sum(
        i * i for i in range(1, 11)
    )
    assert parent.arguments["ids"] == 10 and parent.pid is None


@pytest.mark.django_db
def test_fanout_failure_marks_parent_failed():
    with pytest.raises(ValueError):  # eager mode propagates the chunk error
        fanout_run(task_name="tests.core.bad_chunk", ids=[1, 2, 3, 4], chunk_size=2)
    parent = TaskRun.objects.get(task_name="tests.core.bad_chunk:fanout")
    assert parent.status == TaskRun.Status.FAILED
    assert "id 3 is broken" in parent.error
    with pytest.raises(InvalidInput):
        fanout_run(task_name="tests.core.square_chunk", ids=[], chunk_size=2)


@pytest.mark.django_db
def test_fanout_callback_runs_and_lock_covers_the_whole_chord():
    from core.locks import LockBusy, lock_holder, single_flight

    published.clear()
    with single_flight("tests.fan"):
        with pytest.raises(LockBusy):
            fanout_run(
                task_name="tests.core.square_chunk",
                ids=[1],
                chunk_size=1,
                lock="tests.fan",
            )
    parent = fanout_run(
        task_name="tests.core.square_chunk",
        ids=[1, 2, 3],
        chunk_size=2,
        callback="tests.core.publish",
        lock="tests.fan",
    )
    assert published == [[{"sum": 5}, {"sum": 9}]]
    parent.refresh_from_db()
    assert parent.status == TaskRun.Status.SUCCEEDED
    assert parent.arguments["lock"]["name"] == "tests.fan"
    assert lock_holder("tests.fan") is None
