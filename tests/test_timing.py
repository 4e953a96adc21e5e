import time

from ddsp_repro.timing import collect, stage


def test_stages_are_timed_exclusively_and_only_inside_collect():
    with stage("outside"):  # no collector: nothing recorded, nothing raised
        pass
    with collect() as parts:
        with stage("outer"):
            time.sleep(0.02)
            with stage("inner"):
                time.sleep(0.03)
        with stage("inner"):
            time.sleep(0.01)
    assert set(parts) == {"outer", "inner"}
    assert 0.015 < parts["outer"] < 0.028  # its own 20 ms, not the nested 30
    assert parts["inner"] >= 0.039
    with stage("after"):
        pass
    assert "after" not in parts
