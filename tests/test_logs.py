"""Library logging: one handler, plain lines, rank zero only under DDP."""

import logging

from ddsp_repro.logs import configure_logging, get_logger, process_rank


def test_only_rank_zero_reports_info(monkeypatch, capsys):
    configure_logging()
    configure_logging()  # idempotent: one handler
    root = logging.getLogger("ddsp_repro")
    assert sum(getattr(h, "_ddsp_repro", False) for h in root.handlers) == 1
    log = get_logger("ddsp_repro.test")
    monkeypatch.setenv("RANK", "1")
    assert process_rank() == 1
    log.info("from rank one")
    log.warning("a warning from rank one")
    monkeypatch.setenv("RANK", "0")
    log.info("from rank zero")
    err = capsys.readouterr().err
    assert "from rank one" not in err.replace("a warning from rank one", "")
    assert "a warning from rank one" in err and "from rank zero" in err
