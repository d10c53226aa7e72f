"""Trial records: the one tally of trial states, for records and for report.json's dicts."""

from __future__ import annotations

from regadvisor.tuning import TrialRecord, trial_counts, trial_counts_text


def test_counts_by_state_in_order_of_first_appearance():
    trials = [TrialRecord(0, "COMPLETE", {}, 0.9), TrialRecord(1, "PRUNED", {}, None),
              TrialRecord(2, "COMPLETE", {}, 0.8), TrialRecord(3, "FAIL", {}, None)]
    assert trial_counts(trials) == {"complete": 2, "pruned": 1, "fail": 1}
    assert trial_counts([{"state": t.state} for t in trials]) == trial_counts(trials)
    assert trial_counts_text(trials) == "2 complete, 1 pruned, 1 fail"
    assert trial_counts_text([]) == ""
