"""Run one setting over several seeds and tell a real difference from seed-to-seed noise.

A seed fixes the random start (weights, batch order); another seed gives another, equally valid run.
A difference between two settings means something only if it is larger than the spread between seeds.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Mapping

import pandas as pd

SEEDS = (0, 1, 2)


def over_seeds(run: Callable[[int], Mapping[str, float]], seeds: Iterable[int] = SEEDS) -> pd.DataFrame:
    """Call `run(seed)` once per seed; one row per seed (index `seed`), one column per metric."""
    seeds = list(seeds)
    if not seeds or not all(isinstance(s, numbers.Integral) for s in seeds):
        raise ValueError(f"Give one or more integer seeds, e.g. seeds=(0, 1, 2); got {seeds!r}.")
    rows = []
    for seed in seeds:
        metrics = run(seed)
        if not isinstance(metrics, Mapping) or not metrics:
            raise TypeError(f"run(seed) must return a dict of metrics such as {{'val_accuracy': 97.1}}; "
                            f"for seed {seed} it returned {metrics!r}.")
        for name, value in metrics.items():
            if not isinstance(value, numbers.Real):
                raise TypeError(f"Metric {name!r} of seed {seed} is {value!r}: give a plain number "
                                "(for a tensor, use .item()).")
        rows.append({"seed": seed, **{name: float(value) for name, value in metrics.items()}})
    return pd.DataFrame(rows).set_index("seed")


def spread(
    results: Mapping[str, pd.DataFrame], by: str | None = None, higher_is_better: bool = True
) -> pd.DataFrame:
    """Per setting: mean, std (over seeds, n-1) and min-max of each metric; best setting first by `by`.

    `results` maps a setting's name to its `over_seeds` table. The settings are ranked by the mean of
    `by` (the first metric if not given). Two more columns compare each setting with the next one in
    that ranking: `gap_to_next` (difference of the means, in the better direction) and
    `clearly_ahead`: True only when every seed of this setting did better than every seed of the next
    (their min-max ranges do not overlap); otherwise the difference is within the seed-to-seed noise.
    """
    if not results:
        raise ValueError("Give at least one setting: {'name': over_seeds(...)}.")
    tables = dict(results)
    metrics = list(next(iter(tables.values())).columns)
    for name, table in tables.items():
        if list(table.columns) != metrics:
            raise ValueError(f"Every setting needs the same metrics; {name!r} has {list(table.columns)}, "
                             f"the first has {metrics}.")
    by = metrics[0] if by is None else by
    if by not in metrics:
        raise ValueError(f"Cannot rank by {by!r}: the metrics are {metrics}.")

    rows = {}
    for name, table in tables.items():
        row = {"seeds": len(table)}
        for metric in metrics:
            values = table[metric]
            row[f"{metric}_mean"] = values.mean()
            row[f"{metric}_std"] = values.std(ddof=1) if len(values) > 1 else math.nan
            row[f"{metric}_min"] = values.min()
            row[f"{metric}_max"] = values.max()
        rows[name] = row
    summary = pd.DataFrame.from_dict(rows, orient="index")
    summary.index.name = "setting"
    summary = summary.sort_values(f"{by}_mean", ascending=not higher_is_better, kind="stable")

    sign = 1 if higher_is_better else -1
    gaps, clear = [], []
    names = list(summary.index)
    for this, following in zip(names, names[1:] + [None]):
        if following is None:
            gaps.append(math.nan)
            clear.append(None)
            continue
        a, b = summary.loc[this], summary.loc[following]
        gaps.append(sign * (a[f"{by}_mean"] - b[f"{by}_mean"]))
        if higher_is_better:
            clear.append(bool(a[f"{by}_min"] > b[f"{by}_max"]))
        else:
            clear.append(bool(a[f"{by}_max"] < b[f"{by}_min"]))
    summary["gap_to_next"] = gaps
    summary["clearly_ahead"] = pd.array(clear, dtype="boolean")
    return summary


def describe(summary: pd.DataFrame, metric: str, digits: int = 2) -> pd.Series:
    """`mean ± std (min–max)` of one metric per setting, as text for a table or a sentence."""
    if f"{metric}_mean" not in summary:
        raise ValueError(f"No metric {metric!r} in this summary; it has "
                         f"{sorted({c.rsplit('_', 1)[0] for c in summary.columns if c.endswith('_mean')})}.")
    return pd.Series({
        name: (f"{row[f'{metric}_mean']:.{digits}f} ± {row[f'{metric}_std']:.{digits}f} "
               f"({row[f'{metric}_min']:.{digits}f}–{row[f'{metric}_max']:.{digits}f})")
        for name, row in summary.iterrows()
    }, name=metric)


def mean_range(values, digits: int = 2) -> str:
    """`mean (min - max)` of one setting's values over the seeds, as text (e.g. for `DataFrame.agg`)."""
    values = pd.Series(values, dtype=float)
    if values.empty:
        raise ValueError("No values to describe: run the setting over at least one seed.")
    return f"{values.mean():.{digits}f} ({values.min():.{digits}f} - {values.max():.{digits}f})"
