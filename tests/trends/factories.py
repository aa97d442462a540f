"""The trends tests' sleep rows; every other factory comes from tests.tracker / tests.guidance."""

from tests.tracker import factories as tracker


class SleepFactory(tracker.SleepFactory):
    """Derived columns set directly: the summaries read them, not the clock times."""

    in_bed_at = "23:00"
    tried_sleep_at = "23:00"
    minutes_to_fall_asleep = 10
    minutes_awake = 10
    final_wake_at = "07:00"
    out_of_bed_at = "07:10"
    quality = 3
    total_sleep_minutes = 460
    time_in_bed_minutes = 490
    efficiency = 0.94
    mid_sleep_minutes = 185
