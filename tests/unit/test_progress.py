"""Progress of long cohort runs without a terminal: throttled log lines."""

import logging

from simulator import simulation


def test_progress_logs_rate_and_time_left_when_stderr_is_not_a_terminal(monkeypatch, caplog):
    monkeypatch.setattr(simulation, "LOG_INTERVAL_S", 0.0)
    caplog.set_level(logging.INFO, logger="simulator.simulation")
    progress = simulation._Progress(300, enabled=True)
    assert progress.bar is None  # pytest captures stderr: no tqdm bar
    for _ in range(3):
        progress.update(100)
    progress.close()
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2  # nothing logged once every patient is done
    assert lines[0].startswith("100/300 patients (33.3 %)") and "patients/s" in lines[0]
    assert lines[1].startswith("200/300 patients") and "min left" in lines[1]


def test_progress_is_silent_when_disabled_or_throttled(monkeypatch, caplog):
    caplog.set_level(logging.INFO, logger="simulator.simulation")
    quiet = simulation._Progress(300, enabled=False)
    quiet.update(100)
    monkeypatch.setattr(simulation, "LOG_INTERVAL_S", 3600.0)
    throttled = simulation._Progress(300, enabled=True)
    throttled.update(100)
    assert caplog.records == []
