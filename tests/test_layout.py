"""The house rules that a grep can hold: algorithm modules stay free of Django."""

import ast
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PURE_DIRS = [
    "recommender/algorithms",
    "pricing/algorithms",
    "inventory/algorithms",
    "chatbot/nlu",
    "experiments/algorithms",
]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("folder", PURE_DIRS)
def test_algorithm_modules_do_not_import_django(folder):
    files = sorted((ROOT / folder).rglob("*.py"))
    assert files, f"{folder} has no modules"
    offenders = [
        str(f.relative_to(ROOT))
        for f in files
        if {"django", "rest_framework", "celery"} & _imports(f)
    ]
    assert offenders == []


def test_no_shared_data_copied_into_the_project():
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.split()
    names = {"online_retail.csv.gz", "online_retail.csv", "ratings.csv", "u.data"}
    assert [p for p in tracked if Path(p).name in names] == []
