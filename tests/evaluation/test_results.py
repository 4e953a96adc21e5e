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


def test_other_rates_are_kept_apart():
    import copy
    import json

    from ddsp_repro.evaluation.results import table3, table_rates

    (path,) = (REPO / RESULTS_DIR).glob("tiny_violin_cpu-*_valid.json")
    at_16k = {**json.loads(path.read_text()), "_json": "a.json"}
    at_48k = {
        **copy.deepcopy(at_16k),
        "preset": "tiny_violin_48k_cpu",
        "sample_rate": 48000,
        "_json": "b.json",
    }
    assert "a.json" in table3([at_16k, at_48k]) and "b.json" not in table3([at_16k, at_48k])
    rows = table_rates([at_16k, at_48k])
    assert "b.json" in rows and "a.json" not in rows and "| 48000 |" in rows
