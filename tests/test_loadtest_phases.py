"""The load test reports the sign-in ramp apart from the steady state (bench.loadtest.phases)."""

from collections import namedtuple

from bench.loadtest import MachineWatch, phases


def test_the_run_is_split_when_the_last_user_has_signed_in():
    detail = {
        "started_at": 100.0,
        "stopped_at": 115.0,
        "signed_in": [103.0, 110.0],
        "requests": [
            [100.0, 50, "login page"],
            [100.1, 900, "login"],
            [103.5, 40, "today page"],  # during the ramp, not a sign-in: in neither block
            [104.0, 1200, "login"],
            [108.0, 300, "2fa verify"],
            [110.0, 20, "today page"],
            [111.0, 30, "today page"],
            [112.0, 200, "clinician dashboard"],
        ],
    }
    result = phases(detail, users=2)
    assert result["ramp"] == {
        "requests": 4,
        "p50_ms": 300,
        "p95_ms": 1200,
        "p99_ms": 1200,
        "other_requests": 1,
        "users_signed_in": 2,
        "users": 2,
        "complete": True,
        "seconds": 10.0,
    }
    steady = result["steady"]
    assert (steady["requests"], steady["seconds"], steady["rps"]) == (3, 5.0, 0.6)
    assert (steady["p50_ms"], steady["p95_ms"]) == (30, 200)
    assert steady["per_request"]["today page"]["p95_ms"] == 30
    assert steady["per_request"]["clinician dashboard"]["requests"] == 1


def test_a_ramp_that_never_ends_leaves_no_steady_state():
    detail = {"started_at": 0.0, "stopped_at": 30.0, "signed_in": [5.0], "requests": [[1.0, 800, "login"]]}
    result = phases(detail, users=3)
    assert result["ramp"]["complete"] is False
    assert result["ramp"]["seconds"] == 30.0
    assert result["steady"]["requests"] == 0
    assert result["steady"]["rps"] == 0.0


def test_the_steady_state_names_its_window_for_the_machine_reading():
    detail = {"started_at": 0.0, "stopped_at": 20.0, "signed_in": [4.0], "requests": [[5.0, 30, "today page"]]}
    assert phases(detail, users=1)["steady"]["window"] == [4.0, 20.0]


def test_the_machine_reading_says_how_busy_the_cores_were_and_what_each_part_used():
    cpu = namedtuple("cpu", "user system idle iowait steal")
    watch = MachineWatch({"web": 1}, {})
    watch.samples = [
        (9.0, cpu(0, 0, 0, 0, 0), {"web": {}}),  # before the window: not counted
        (10.0, cpu(100, 10, 80, 0, 0), {"web": {11: 5.0, 12: 1.0}}),
        (15.0, cpu(104, 11, 84, 0, 1), {"web": {11: 6.5, 12: 2.0, 13: 0.5}}),  # 13 began in between
    ]
    reading = watch.between(10.0, 20.0)
    # 10 s of both cores' time: 4 idle, 1 stolen by a neighbour.
    assert (reading["busy_pct"], reading["steal_pct"]) == (60.0, 10.0)
    # web: 1.5 + 1.0 + 0.5 s of CPU in 5 s.
    assert reading["cores_used"] == {"web": 0.6}
    assert reading["seconds"] == 5.0


def test_no_machine_reading_from_a_single_sample():
    watch = MachineWatch({}, {})
    watch.samples = [(10.0, None, {})]
    assert watch.between(0.0, 20.0) == {}
