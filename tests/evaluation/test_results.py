"""RESULTS.md's tables regenerate from the committed eval reports."""

import pytest

from ddsp_repro.evaluation.results import (
    DEMOS_DIR,
    RESULTS_DIR,
    load_demos,
    load_reports,
    project_root,
    render,
    update_results,
)
from tests.helpers import REPO


def test_results_md_is_not_stale():
    assert not update_results(REPO / "RESULTS.md", write=False), "run `ddsp-repro results`"


def test_render_is_idempotent_and_needs_markers():
    text = (REPO / "RESULTS.md").read_text()
    reports, demos = load_reports(REPO / RESULTS_DIR), load_demos(REPO / DEMOS_DIR)
    once = render(text, reports, demos)
    assert render(once, reports, demos) == once
    with pytest.raises(ValueError, match="markers"):
        render("no markers here", [], [])


def test_project_root_is_found_from_a_subfolder(monkeypatch):
    monkeypatch.chdir(REPO / "evals" / "results")
    assert project_root() == REPO
