"""Seconds per training epoch of the 784-256-256-10 FNN on this machine, path by path.

One process, interleaved rounds, medians; the paths (torchvision, fast, bare, loader, matmuls,
overhead, floor) are described in `training_paths.py`. Also: test accuracy of the torchvision
and fast paths after the same epochs, lesson 03's 12-epoch run, DataLoader workers, thread count
and torch.compile, and the speed targets met or not. Every timed epoch covers the same images: all
60,000 training images (validation_ratio=0), or the `--quick` subset. `--help` lists the options.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout, installed or not

from training_paths import (  # noqa: E402
    OPTIMIZERS,
    PATHS,
    SEED,
    TIMED_PATHS,
    UNTIMED_PATHS,
    Workload,
    epoch_gemm_flops,
    gemm_shapes,
    seeded_model,
    sgemm_gflops,
)

from workshop_lib import NetworkTrainer, NetworkUser, sum_correct_preds  # noqa: E402
from workshop_lib.data import DataLoaderFNN, FastDataLoaderFNN  # noqa: E402
from workshop_lib.optim import make_adam  # noqa: E402

DEFAULT_JSON = Path(__file__).resolve().parent.parent / "build" / "bench" / "bench_training.json"


def measure_epochs(workloads: list[Workload], rounds: int, sgemm_seconds: float, log) -> dict:
    """Per round, every (batch, optimizer, path) epoch once, in a seeded random order; medians.

    The order changes every round so that no path always follows another (after a torchvision
    epoch, say, whose garbage and cold caches would otherwise land on the same path each time).
    """
    samples: dict = {}
    rates: dict = {}
    shuffler = random.Random(SEED)
    for r in range(rounds):
        for w in workloads:
            for shape in gemm_shapes(w.batch):
                rates.setdefault(shape, []).append(sgemm_gflops(*shape, sgemm_seconds))
            samples.setdefault((w.batch, "matmuls"), []).append(w.time_matmuls())
            samples.setdefault((w.batch, "loader"), []).append(w.time_loader())
            for name in OPTIMIZERS:
                order = shuffler.sample(TIMED_PATHS, len(TIMED_PATHS))
                for path in order:
                    samples.setdefault((w.batch, name, path), []).append(w.time(path, name))
                    log(f"round {r + 1}/{rounds} batch {w.batch} {name} {path}: "
                        f"{samples[w.batch, name, path][-1]:.3f} s")
    shape_rates = {f"{m}x{k}x{n}": statistics.median(v) for (m, k, n), v in rates.items()}
    best_rate = max(shape_rates.values())
    seconds = {}
    for w in workloads:
        floor = epoch_gemm_flops(w.samples) / (best_rate * 1e9)
        untimed = {p: statistics.median(samples[w.batch, p]) for p in UNTIMED_PATHS}
        seconds[str(w.batch)] = {
            name: {
                **{p: statistics.median(samples[w.batch, name, p]) for p in TIMED_PATHS},
                **untimed,
                "floor": floor,
            }
            for name in OPTIMIZERS
        }
    raw = {f"{k[0]}/{'/'.join(k[1:])}": v for k, v in samples.items()}
    return {"seconds": seconds, "sgemm_gflops": shape_rates, "best_sgemm_gflops": best_rate,
            "all_seconds": raw}


def ratios(seconds: dict) -> dict:
    """Per batch and optimizer: each path / fast path, fast / floor, fast / bare, eager bound / floor.

    The eager bound (loader + matmuls + overhead) is what any eager loop over shuffled batches
    costs at least here: where it is over a fast/floor target, no such loop meets it on this machine.
    """
    out = {}
    for batch, by_opt in seconds.items():
        out[batch] = {}
        for name, s in by_opt.items():
            out[batch][name] = {f"{p}/fast": s[p] / s["fast"] for p in PATHS if p != "fast"}
            out[batch][name]["fast/floor"] = s["fast"] / s["floor"]
            out[batch][name]["fast/bare"] = s["fast"] / s["bare"]
            out[batch][name]["eager_bound/floor"] = (s["loader"] + s["matmuls"] + s["overhead"]) / s["floor"]
    return out


def test_accuracy_after(data, epochs: int) -> tuple[float, float]:
    """Test accuracy (%) of the seeded FNN after `epochs` training epochs with Adam; and seconds."""
    model = seeded_model()
    trainer = NetworkTrainer(model, nn.CrossEntropyLoss(), make_adam(model.parameters(), lr=1e-3),
                             data.train_loader, data.val_loader, "cpu", progress=False)
    start = time.perf_counter()
    for _ in range(epochs):
        trainer.train_epoch()
    seconds = time.perf_counter() - start
    return NetworkUser(model).evaluate(data.test_loader).accuracy, seconds


def measure_accuracy(epochs: int, subset_size: int | None) -> dict:
    """Paths 1 and 2 from the same seed and split: accuracies agree up to shuffling luck."""
    kwargs = dict(batch_size=64, validation_ratio=0.0, normalize=True, seed=SEED, subset_size=subset_size)
    torchvision_acc, torchvision_s = test_accuracy_after(DataLoaderFNN(**kwargs), epochs)
    fast_acc, fast_s = test_accuracy_after(FastDataLoaderFNN(**kwargs), epochs)
    return {"epochs": epochs, "batch_size": 64, "optimizer": "adam_fused",
            "torchvision_test_accuracy": torchvision_acc, "fast_test_accuracy": fast_acc,
            "difference_points": abs(torchvision_acc - fast_acc),
            "torchvision_seconds": torchvision_s, "fast_seconds": fast_s}


def measure_lesson_run(epochs: int, subset_size: int | None, torchvision_epoch: float) -> dict:
    """Lesson 03's recipe: FNN, Adam lr 1e-3, batch 64, FastDataLoaderFNN (54k/6k), validation included."""
    data = FastDataLoaderFNN(batch_size=64, seed=SEED, subset_size=subset_size)
    model = seeded_model()
    trainer = NetworkTrainer(model, nn.CrossEntropyLoss(), make_adam(model.parameters(), lr=1e-3),
                             data.train_loader, data.val_loader, "cpu",
                             sum_correct_preds=sum_correct_preds, progress=False)
    start = time.perf_counter()
    trainer.train(epochs)
    seconds = time.perf_counter() - start
    accuracy = NetworkUser(model).evaluate(data.test_loader).accuracy
    estimate = epochs * torchvision_epoch
    return {"epochs": epochs, "seconds": seconds, "test_accuracy": accuracy,
            "torchvision_estimate_seconds": estimate, "fraction_of_torchvision": seconds / estimate}


def measure_workers(subset_size: int | None, workers: int, repeats: int) -> dict:
    """One torchvision epoch (batch 64, fused Adam) with `workers` DataLoader workers, next to one without."""
    out = {}
    for n in (0, workers) * repeats:
        data = DataLoaderFNN(batch_size=64, validation_ratio=0.0, normalize=True, seed=SEED,
                             subset_size=subset_size, num_workers=n)
        model = seeded_model()
        trainer = NetworkTrainer(model, nn.CrossEntropyLoss(), make_adam(model.parameters()),
                                 data.train_loader, data.val_loader, "cpu", progress=False)
        start = time.perf_counter()
        trainer.train_epoch()
        out.setdefault(f"workers={n}", []).append(time.perf_counter() - start)
    return {k: min(v) for k, v in out.items()}


def measure_threads(workload: Workload, rounds: int, default: int) -> dict:
    """Fast-path epochs (fused Adam) with torch's default thread count and with one thread, interleaved."""
    chosen = torch.get_num_threads()
    out: dict = {}
    try:
        for _ in range(rounds):
            for n in (default, 1):
                torch.set_num_threads(n)
                out.setdefault(f"threads={n}", []).append(workload.time_trainer("fast", "adam_fused"))
    finally:
        torch.set_num_threads(chosen)
    return {"batch_size": workload.batch, "default_threads": default,
            **{k: statistics.median(v) for k, v in out.items()}}


def measure_compile(workload: Workload, rounds: int) -> dict:
    """torch.compile on the fast path (fused Adam): the first epoch includes compiling."""
    model, _ = workload.models["fast", "adam_fused"]
    try:
        compiled = torch.compile(model)
        trainer = workload.trainer("fast", "adam_fused")
        trainer.model = compiled
        times = []
        for _ in range(1 + rounds):
            start = time.perf_counter()
            trainer.train_epoch()
            times.append(time.perf_counter() - start)
    except Exception as err:  # no C++ compiler, unsupported platform: report, do not fail the run
        return {"batch_size": workload.batch, "error": f"{type(err).__name__}: {err}"[:300]}
    eager = [workload.time_trainer("fast", "adam_fused") for _ in range(rounds)]
    return {"batch_size": workload.batch, "first_epoch_with_compiling": times[0],
            "compiled_epoch": statistics.median(times[1:]), "eager_epoch": statistics.median(eager)}


def targets(result: dict) -> list[dict]:
    """The speed and accuracy targets, each with its measured value and whether it is met."""
    r = result["ratios"]
    checks = []

    def check(what, value, limit, at_least, **extra):
        met = value >= limit if at_least else value <= limit
        checks.append({"target": what, "value": value, "limit": limit, "met": bool(met), **extra})

    for batch, speedup in (("64", 4.5), ("512", 6.0)):
        for name in OPTIMIZERS:
            if batch in r:
                check(f"torchvision/fast >= {speedup} at batch {batch}, {name}",
                      r[batch][name]["torchvision/fast"], speedup, True)
    for batch, limit in (("64", 2.0), ("512", 1.3)):
        for name in OPTIMIZERS:
            if batch in r:
                check(f"fast/bare <= 1.1 at batch {batch}, {name}", r[batch][name]["fast/bare"], 1.1, False)
                bound = r[batch][name]["eager_bound/floor"]
                check(f"fast/floor <= {limit} at batch {batch}, {name}",
                      r[batch][name]["fast/floor"], limit, False,
                      eager_bound=bound, reachable_eagerly=bool(bound <= limit))
    acc = result["accuracy"]
    check(f"|torchvision - fast| test accuracy <= 0.3 points after {acc['epochs']} epochs",
          acc["difference_points"], 0.3, False)
    lesson = result.get("lesson_run")
    if lesson:
        check(f"{lesson['epochs']}-epoch lesson run test accuracy >= 98.0 %",
              lesson["test_accuracy"], 98.0, True)
        check(f"{lesson['epochs']}-epoch lesson run < 1/4 of the torchvision time",
              lesson["fraction_of_torchvision"], 0.25, False)
    return checks


def format_table(result: dict) -> str:
    """Seconds per epoch and the ratios, one row per batch size and optimizer."""
    lines = [f"{'batch':>5} {'optimizer':<11}" + "".join(f"{p:>12}" for p in PATHS)
             + f"{'tv/fast':>9}{'fast/bare':>10}{'fast/floor':>11}{'bound/floor':>12}"]
    for batch, by_opt in result["seconds"].items():
        for name, s in by_opt.items():
            q = result["ratios"][batch][name]
            lines.append(f"{batch:>5} {name:<11}" + "".join(f"{s[p]:>11.3f}s" for p in PATHS)
                         + f"{q['torchvision/fast']:>8.2f}x{q['fast/bare']:>9.2f}x{q['fast/floor']:>10.2f}x"
                         + f"{q['eager_bound/floor']:>11.2f}x")
    lines.append("bound = loader + matmuls + overhead: the least an eager loop over shuffled batches costs")
    return "\n".join(lines)


def machine() -> dict:
    return {"torch": torch.__version__, "python": platform.python_version(),
            "cpu_count": os.cpu_count(), "torch_default_threads": torch.get_num_threads(),
            "processor": platform.processor() or platform.machine(),
            "load_average_at_start": os.getloadavg()}


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="tiny subset, one round: checks it runs")
    p.add_argument("--json", type=Path, default=DEFAULT_JSON, help=f"output (default {DEFAULT_JSON})")
    p.add_argument("--rounds", type=int, help="interleaved rounds (default 5, quick 1)")
    p.add_argument("--accuracy-epochs", type=int, help="epochs for the accuracy check (default 3)")
    p.add_argument("--lesson-epochs", type=int, help="epochs of the lesson run (default 12)")
    p.add_argument("--threads", type=int, help="torch threads for everything (default: torch's choice)")
    p.add_argument("--no-extras", action="store_true", help="skip workers, threads and torch.compile")
    p.add_argument("--compile", action="store_true", help="also measure torch.compile in --quick mode")
    return p.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    subset = 1024 if args.quick else None  # 1024: 16 batches of 64, 2 of 512
    rounds = args.rounds or (1 if args.quick else 5)
    accuracy_epochs = args.accuracy_epochs or (1 if args.quick else 3)
    lesson_epochs = args.lesson_epochs or (1 if args.quick else 12)
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    default_threads = torch.get_num_threads()
    result = {"machine": machine(), "setup": {
        "samples_per_epoch": None, "split": "all training images (validation_ratio=0), normalized",
        "quick": args.quick, "subset_size": subset, "rounds": rounds, "statistic": "median over rounds",
        "model": "FNN 784-256-256-10 ReLU, seed 0", "sgd_lr": 0.01, "adam_lr": 1e-3,
        "gemm_flops_per_epoch": None, "loader_matmuls_floor": "no optimizer: one value per batch size",
        "threads": args.threads or default_threads,
    }}
    if args.threads:
        torch.set_num_threads(args.threads)
    workloads = [Workload(b, subset) for b in (64, 512)]
    result["setup"]["samples_per_epoch"] = workloads[0].samples
    result["setup"]["gemm_flops_per_epoch"] = epoch_gemm_flops(workloads[0].samples)
    result.update(measure_epochs(workloads, rounds, 0.005 if args.quick else 0.05, log))
    result["ratios"] = ratios(result["seconds"])
    log("accuracy check")
    result["accuracy"] = measure_accuracy(accuracy_epochs, subset)
    torchvision_epoch = result["seconds"]["64"]["adam_fused"]["torchvision"]
    log("lesson run")
    result["lesson_run"] = measure_lesson_run(lesson_epochs, subset, torchvision_epoch)
    if not args.no_extras:
        log("extras: workers, threads, torch.compile")
        result["extras"] = {"dataloader_workers": measure_workers(subset, 2, 1 if args.quick else 2),
                            "threads": measure_threads(workloads[0], 1 if args.quick else rounds,
                                                       default_threads)}
        if args.compile or not args.quick:
            result["extras"]["torch_compile"] = measure_compile(workloads[0], rounds)
    result["targets"] = targets(result)
    result["machine"]["load_average_at_end"] = os.getloadavg()

    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2))
    print(format_table(result))
    print(json.dumps({k: result[k] for k in ("accuracy", "lesson_run", "extras") if k in result}, indent=2))
    for t in result["targets"]:
        line = f"{'met    ' if t['met'] else 'NOT MET'}  {t['target']}: {t['value']:.3f}"
        if "eager_bound" in t and not t["reachable_eagerly"]:
            line += f" (out of eager reach here: loader + matmuls + overhead alone = {t['eager_bound']:.2f}x)"
        print(line)
    if args.quick:
        print("--quick: a check that the benchmark runs; its numbers mean nothing.")
    print(f"JSON: {args.json}")
    return result


if __name__ == "__main__":
    main()
