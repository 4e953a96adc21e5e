"""Studies: resumable with the embedded storage, shared by concurrent workers, surviving a killed one."""

from __future__ import annotations

import json
import os
import time

import optuna
import pytest
from optuna.trial import TrialState

from ddsp_repro.cli.train import preset_with_overrides
from ddsp_repro.sweeps.space import SearchSpace, space_for
from ddsp_repro.sweeps.study import FINISHED, _objective
from tests.helpers import cli
from tests.helpers.runs import PRESET, start_worker, toy_args
from tests.helpers.wandb_reader import read_records, read_run


def _load(url: str, name: str = PRESET) -> optuna.Study:
    return optuna.load_study(study_name=name, storage=url)


def test_study_runs_then_resumes_to_more_trials(tones, tmp_path):
    args = [PRESET, *toy_args(tones, tmp_path), "--seed", "0"]
    cli("sweep", *args, "--n-trials", "2")
    folder = tmp_path / "sweeps" / PRESET
    url = f"sqlite:///{folder / 'study.db'}"
    assert len(_load(url).get_trials(states=FINISHED)) == 2

    cli("sweep", *args, "--n-trials", "3")  # the same command, asking for more: one new trial
    trials = _load(url).get_trials()
    assert [t.number for t in trials] == [0, 1, 2] and all(t.state in FINISHED for t in trials)
    assert len({t.params["optim.lr"] for t in trials}) == 3  # the sampler drew new points

    summary = json.loads((folder / "best_trial.json").read_text())
    best = min((t for t in trials if t.state == TrialState.COMPLETE), key=lambda t: t.value)
    assert summary["best"]["number"] == best.number and summary["best"]["value"] == best.value
    assert (folder / "plots" / "history.png").stat().st_size > 10_000
    assert len((folder / "trials.csv").read_text().splitlines()) == 4
    for t in trials:  # every trial is a full run, in its own folder
        assert (tmp_path / "sweeps" / PRESET / "trials" / f"{t.number:04d}").is_dir()

    cli("sweep", *args, "--n-trials", "3")  # already there: no new trial
    assert len(_load(url).get_trials()) == 3


class _AlwaysPrune(optuna.pruners.BasePruner):
    def prune(self, study, trial) -> bool:
        return True


def test_pruner_stops_a_trial_at_its_first_validation(tones, tmp_path):
    config = preset_with_overrides(PRESET, toy_args(tones, tmp_path, steps=6))
    space = SearchSpace(space_for(PRESET).params)
    study = optuna.create_study(pruner=_AlwaysPrune())
    study.optimize(_objective(config, space, "pruned"), n_trials=1)
    (trial,) = study.trials
    assert trial.state == TrialState.PRUNED and list(trial.intermediate_values) == [0]
    metrics = [json.loads(line) for line in open(f"{trial.user_attrs['run_dir']}/metrics.jsonl")]
    assert max(m["step"] for m in metrics) < 6  # stopped early


def _wait(workers, seconds: float) -> None:
    deadline = time.time() + seconds
    for w in workers:
        w.wait(timeout=max(1.0, deadline - time.time()))


def test_two_workers_share_one_study(tones, tmp_path):
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    args = [*toy_args(tones, tmp_path), "--n-trials", "4", "--storage", url, "--pruner", "none"]
    workers = [start_worker(args, tmp_path / f"worker{i}.log") for i in range(2)]
    _wait(workers, 400)
    logs = [(tmp_path / f"worker{i}.log").read_text() for i in range(2)]
    errors = [line for log in logs for line in log.splitlines() if line.startswith("error:")]
    assert [w.returncode for w in workers] == [0, 0], (errors, [log[-1500:] for log in logs])
    trials = _load(url).get_trials()
    assert len(trials) >= 4 and all(t.state == TrialState.COMPLETE for t in trials)
    assert {t.user_attrs["worker_pid"] for t in trials} == {w.pid for w in workers}  # both worked


def _kill_one_worker_and_finish(tones, tmp_path, url: str, n_workers: int) -> None:
    """Start `n_workers` on one study, SIGKILL the first mid-trial; the others retry its trial and finish."""
    args = [*toy_args(tones, tmp_path, steps=6), "--n-trials", "4", "--storage", url, "--pruner", "none"]
    args += ["--heartbeat-seconds", "1"]  # dead after 3 s of silence
    victim = start_worker(args, tmp_path / "victim.log")
    time.sleep(2)
    survivors = [start_worker(args, tmp_path / f"survivor{i}.log") for i in range(n_workers - 1)]
    killed = None
    deadline = time.time() + 240
    while killed is None and time.time() < deadline and victim.poll() is None:
        time.sleep(0.5)
        try:
            running = _load(url).get_trials(states=(TrialState.RUNNING,))
        except (KeyError, optuna.exceptions.StorageInternalError):  # study not created yet
            continue
        for t in running:  # kill the victim once its trial has written a checkpoint
            ckpt = f"{t.user_attrs.get('run_dir')}/checkpoints/last.ckpt"
            if t.user_attrs.get("worker_pid") == victim.pid and os.path.exists(ckpt):
                victim.kill()
                killed = t.number
                break
    assert killed is not None, (tmp_path / "victim.log").read_text()[-2000:]
    victim.wait()
    _wait(survivors, 400)
    for i, survivor in enumerate(survivors):
        assert survivor.returncode == 0, (tmp_path / f"survivor{i}.log").read_text()[-3000:]

    trials = _load(url).get_trials()
    assert trials[killed].state == TrialState.FAIL  # found stale by a survivor's heartbeat check
    retries = [t for t in trials if t.system_attrs.get("failed_trial") == killed]
    assert len(retries) == 1 and retries[0].state == TrialState.COMPLETE
    assert retries[0].params == trials[killed].params
    # The retry resumed the dead trial's run (same folder) and finished it.
    assert retries[0].user_attrs["run_dir"] == trials[killed].user_attrs["run_dir"]
    metrics = json.loads(open(f"{retries[0].user_attrs['run_dir']}/metrics.json").read())
    assert metrics["step"] == 6
    assert len([t for t in trials if t.state in FINISHED]) >= 4


def test_killed_worker_trial_is_retried_and_study_completes(tones, tmp_path):
    _kill_one_worker_and_finish(tones, tmp_path, f"sqlite:///{tmp_path / 'shared.db'}", n_workers=2)


def test_three_workers_on_postgresql_survive_a_killed_one(tones, tmp_path):
    """The README's several-machines setup on a real PostgreSQL server (throwaway, on a loopback port)."""
    pytest.importorskip("psycopg")
    from tests.helpers.postgres import postgres_server

    with postgres_server() as url:
        _kill_one_worker_and_finish(tones, tmp_path, url, n_workers=3)


def test_trials_are_wandb_runs_grouped_by_study(tones, tmp_path, monkeypatch):
    pytest.importorskip("wandb")
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.delenv("WANDB_MODE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.netrc: offline
    args = [*toy_args(tones, tmp_path), "--logging.wandb", "offline", "--study-name", "grouped"]
    cli("sweep", PRESET, *args, "--n-trials", "1")
    folder = tmp_path / "sweeps" / "grouped"
    (trial_file,) = folder.glob("trials/0000/*/wandb/offline-run-*/run-*.wandb")
    assert read_run(trial_file)["run_group"] == "grouped"
    config = read_records(trial_file, "config")
    trial = _load(f"sqlite:///{folder / 'study.db'}", "grouped").trials[0]
    assert config["sweep"] == {"study": "grouped", "trial": 0, "params": trial.params}
    (study_file,) = folder.glob("wandb/offline-run-*/run-*.wandb")
    record = read_run(study_file)
    assert record["run_group"] == "grouped" and record["job_type"] == "study"
    assert read_records(study_file, "summary")["best"]["number"] == 0


def test_multi_process_trials_are_refused_with_advice(tones, tmp_path):
    args = [PRESET, *toy_args(tones, tmp_path), "--trainer.devices", "2", "--n-trials", "1"]
    with pytest.raises(ValueError, match="start several workers"):
        cli("sweep", *args)
    assert not (tmp_path / "sweeps").exists()  # refused before a study was created
