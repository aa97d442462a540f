"""The load test reports the sign-in ramp apart from the steady state (bench.loadtest.phases)."""

from bench.loadtest import phases


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
