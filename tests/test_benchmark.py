"""The training benchmark runs end to end in its tiny mode and writes every entry (no timing checks)."""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_training.py"


def positive_finite(value) -> bool:
    return isinstance(value, float) and math.isfinite(value) and value > 0


@pytest.mark.slow
def test_quick_benchmark_writes_every_path_batch_and_optimizer(tmp_path, mnist_root):
    out = tmp_path / "bench.json"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}  # a check of the output: spare a shared CPU the spinning
    done = subprocess.run([sys.executable, str(BENCH), "--quick", "--json", str(out)],
                          capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(out.read_text())

    assert set(result["seconds"]) == {"64", "512"}
    for batch, by_optimizer in result["seconds"].items():
        assert set(by_optimizer) == {"sgd", "adam", "adam_fused"}
        for name, by_path in by_optimizer.items():
            assert set(by_path) == {"torchvision", "fast", "bare", "loader", "matmuls", "overhead", "floor"}
            for path, seconds in by_path.items():
                assert positive_finite(seconds), (batch, name, path, seconds)
            ratio = result["ratios"][batch][name]
            assert positive_finite(ratio["fast/floor"])
            assert ratio["eager_bound/floor"] == pytest.approx(
                (by_path["loader"] + by_path["matmuls"] + by_path["overhead"]) / by_path["floor"])
    assert positive_finite(result["best_sgemm_gflops"])
    assert result["setup"]["gemm_flops_per_epoch"] == 1_211_392 * result["setup"]["samples_per_epoch"]

    accuracy = result["accuracy"]
    for key in ("torchvision_test_accuracy", "fast_test_accuracy"):
        assert 10.0 < accuracy[key] <= 100.0  # one tiny epoch already beats chance (10 %)
    assert accuracy["difference_points"] == abs(
        accuracy["torchvision_test_accuracy"] - accuracy["fast_test_accuracy"])
    assert 0.0 <= result["lesson_run"]["test_accuracy"] <= 100.0
    assert all(isinstance(t["met"], bool) for t in result["targets"])
    floor_targets = [t for t in result["targets"] if t["target"].startswith("fast/floor")]
    assert len(floor_targets) == 6  # 2 batch sizes x 3 optimizers
    assert all(t["reachable_eagerly"] == (t["eager_bound"] <= t["limit"]) for t in floor_targets)
    assert "batch" in done.stdout and "fast/floor" in done.stdout  # the table is printed
