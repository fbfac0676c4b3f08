import math

import pandas as pd
import pytest
import torch

from workshop_lib.seeds import describe, mean_range, over_seeds, spread


def table(values, metric="acc"):
    return pd.DataFrame({metric: values}, index=pd.Index(range(len(values)), name="seed"))


def test_over_seeds_calls_the_run_once_per_seed_and_keeps_its_numbers():
    calls = []

    def run(seed):
        calls.append(seed)
        return {"acc": 90.0 + seed, "loss": torch.tensor(0.5 / (seed + 1)).item()}

    result = over_seeds(run, seeds=(3, 5, 7))
    assert calls == [3, 5, 7]
    assert list(result.index) == [3, 5, 7] and result.index.name == "seed"
    assert list(result.columns) == ["acc", "loss"]
    assert result.loc[5, "acc"] == 95.0
    assert result.loc[7, "loss"] == pytest.approx(0.0625)


def test_over_seeds_seeded_runs_repeat_and_differ_between_seeds():
    def run(seed):
        generator = torch.Generator().manual_seed(seed)
        return {"draw": torch.rand(1, generator=generator).item()}

    first, second = over_seeds(run), over_seeds(run)
    pd.testing.assert_frame_equal(first, second)
    assert first["draw"].nunique() == 3


def test_spread_matches_hand_computed_mean_std_min_max():
    summary = spread({"a": table([97.0, 98.0, 99.0]), "b": table([96.0, 96.5, 97.6])})
    a = summary.loc["a"]
    assert a["seeds"] == 3
    assert a["acc_mean"] == pytest.approx(98.0)
    assert a["acc_std"] == pytest.approx(1.0)  # sqrt(((-1)² + 0² + 1²) / (3 - 1))
    assert (a["acc_min"], a["acc_max"]) == (97.0, 99.0)
    b = summary.loc["b"]
    assert b["acc_mean"] == pytest.approx(290.1 / 3)
    deviations = [v - 290.1 / 3 for v in (96.0, 96.5, 97.6)]
    assert b["acc_std"] == pytest.approx(math.sqrt(sum(d * d for d in deviations) / 2))


def test_spread_ranks_best_first_and_flags_only_non_overlapping_ranges():
    summary = spread({
        "overlapping": table([96.0, 96.8, 97.1]),  # mean 96.63
        "best": table([97.5, 97.9, 98.0]),  # mean 97.8, min 97.5 > 97.1: clearly ahead
        "worst": table([96.2, 96.4, 96.6]),  # mean 96.4, inside the range above
    })
    assert list(summary.index) == ["best", "overlapping", "worst"]
    assert summary.loc["best", "gap_to_next"] == pytest.approx(97.8 - 289.9 / 3)
    assert bool(summary.loc["best", "clearly_ahead"]) is True
    assert bool(summary.loc["overlapping", "clearly_ahead"]) is False
    assert summary.loc["overlapping", "gap_to_next"] == pytest.approx(289.9 / 3 - 96.4)
    assert pd.isna(summary.loc["worst", "clearly_ahead"]) and math.isnan(summary.loc["worst", "gap_to_next"])


def test_spread_lower_is_better_for_a_loss():
    results = {"x": table([0.30, 0.32, 0.31], "loss"), "y": table([0.20, 0.22, 0.25], "loss")}
    summary = spread(results, by="loss", higher_is_better=False)
    assert list(summary.index) == ["y", "x"]
    assert summary.loc["y", "gap_to_next"] == pytest.approx(0.31 - 0.67 / 3)
    assert bool(summary.loc["y", "clearly_ahead"]) is True  # 0.25 < 0.30


def test_describe_writes_mean_std_and_range():
    summary = spread({"a": table([97.0, 98.0, 99.0])})
    assert describe(summary, "acc")["a"] == "98.00 ± 1.00 (97.00–99.00)"
    with pytest.raises(ValueError, match="No metric 'loss'"):
        describe(summary, "loss")


def test_bad_input_gets_a_clear_message():
    with pytest.raises(TypeError, match="dict of metrics"):
        over_seeds(lambda seed: 97.0)
    with pytest.raises(TypeError, match=r"\.item\(\)"):
        over_seeds(lambda seed: {"acc": torch.tensor(97.0)})
    with pytest.raises(ValueError, match="integer seeds"):
        over_seeds(lambda seed: {"acc": 1.0}, seeds=())
    with pytest.raises(ValueError, match="same metrics"):
        spread({"a": table([1.0, 2.0]), "b": table([1.0, 2.0], "loss")})
    with pytest.raises(ValueError, match="Cannot rank by 'loss'"):
        spread({"a": table([1.0, 2.0])}, by="loss")


def test_mean_range_writes_the_hand_computed_mean_min_and_max():
    assert mean_range([97.5, 98.25, 96.0]) == "97.25 (96.00 - 98.25)"
    assert mean_range(pd.Series([1.0, 2.0]), digits=1) == "1.5 (1.0 - 2.0)"
    with pytest.raises(ValueError, match="at least one seed"):
        mean_range([])
