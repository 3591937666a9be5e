"""The course's fastest route to 93% on Fashion-MNIST: chapter 11's recipe.

    python bench/speedrun.py [--seeds 0 1 2] [--budget 180] [--ablate]

Trains chapter 8's ``VGGStyleNet`` from scratch with chapter 11's recipe
(``Recipe`` and ``train_recipe`` from ``course_models``, exported from the
chapter): Nesterov SGD with a one-cycle learning rate, label smoothing,
random shifts of up to 2 pixels, bfloat16 autocast on the CPU, and a
five-view shift test-time augmentation. For every seed it reports the
validation accuracy after each epoch (the 5,000 images ``utils`` holds out),
the seconds to reach 92% and 93% on validation, and, once, after the last
epoch, the test accuracy with and without test-time augmentation. The clock
starts before the data is loaded and stops after the test set is scored. A
run that uses up ``--budget`` seconds stops after the epoch that did.

``--ablate`` then trains the recipe with each ingredient removed in turn
(the same seeds, validation only) and adds the ablation table, writing the
file after each row; ``--ablation-only`` adds the missing rows to an existing
file. Accuracies do
not depend on how busy the machine is; seconds do, so the script records the
load average before and after, and the seconds are only a speed on an idle
machine.

Writes ``bench/results/speedrun.json`` (``--json``), which chapter 11 prints.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from common import machine, write_json  # noqa: E402

import utils  # noqa: E402
from course_models import (  # noqa: E402
    Recipe,
    standardize,
    train_recipe,
    tta_accuracy,
)

RESULTS = ROOT / "bench" / "results"
TTA_VIEWS = 5

# the final recipe with one ingredient removed (or replaced by its plain
# control); the fp32 row keeps the time budget, so it trains fewer epochs
ABLATIONS = {
    "no label smoothing": {"label_smoothing": 0.0},
    "no shift augmentation": {"max_shift": 0},
    "constant learning rate (one-cycle's mean, 0.1)": {
        "schedule": "constant",
        "lr": 0.1,
    },
    "float32 instead of bfloat16, 7 epochs (the same time)": {
        "bf16": False,
        "epochs": 7,
    },
}


def seconds_to(history: list[dict], target: float) -> float | None:
    """Seconds at the end of the first epoch whose validation accuracy
    reached ``target`` (None if none did)."""
    for row in history:
        if row["val_accuracy"] >= target:
            return round(row["seconds"], 1)
    return None


def run(recipe: Recipe, seed: int, budget: float, test: bool) -> dict:
    start = time.perf_counter()
    data = utils.load_fashion_mnist()
    train = standardize(data.train_images), data.train_labels
    val = standardize(data.val_images), data.val_labels
    model, history = train_recipe(
        recipe, *train, seed=seed, val=val, budget_s=budget
    )
    result = {"seed": seed, "epochs_run": len(history)}
    if test:  # the test set, once, for the final recipe: the clock stops
        test_images = standardize(data.test_images)
        result["test_accuracy_tta"] = tta_accuracy(
            model, test_images, data.test_labels, views=TTA_VIEWS
        )
    result["seconds"] = round(time.perf_counter() - start, 1)
    # not timed: the same model without test-time augmentation, and on val
    if test:
        result["test_accuracy"] = tta_accuracy(
            model, test_images, data.test_labels
        )
    result |= {
        "val_accuracy": history[-1]["val_accuracy"],
        "val_accuracy_tta": tta_accuracy(model, *val, views=TTA_VIEWS),
        "seconds_to_92": seconds_to(history, 0.92),
        "seconds_to_93": seconds_to(history, 0.93),
        "history": [
            {
                k: round(v, 4) if isinstance(v, float) else v
                for k, v in r.items()
            }
            for r in history
        ],
    }
    return result


def spread(values: list[float]) -> dict:
    return {
        "mean": round(statistics.mean(values), 4),
        "min": round(min(values), 4),
        "max": round(max(values), 4),
    }


def timed_runs(recipe: Recipe, seeds: list[int], budget: float) -> dict:
    out = {
        "machine": machine(),
        "threads": torch.get_num_threads(),
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
        "budget_s": budget,
        "recipe": dataclasses.asdict(recipe),
        "tta_views": TTA_VIEWS,
        "runs": [],
    }
    for seed in seeds:
        result = run(recipe, seed, budget, test=True)
        out["runs"].append(result)
        print(
            f"seed {seed}: {result['seconds']:.1f} s, "
            f"to 92% {result['seconds_to_92']} s, "
            f"to 93% {result['seconds_to_93']} s (validation), "
            f"test {result['test_accuracy']:.2%}, "
            f"with TTA {result['test_accuracy_tta']:.2%}",
            flush=True,
        )
    out["load_average_after_runs"] = [round(x, 2) for x in os.getloadavg()]
    runs = out["runs"]
    out["median_test_accuracy_tta"] = statistics.median(
        r["test_accuracy_tta"] for r in runs
    )
    out["median_seconds"] = statistics.median(r["seconds"] for r in runs)
    return out


def ablate(out: dict, recipe: Recipe, seeds: list[int], path: Path) -> None:
    """Add the ablation table to ``out``, one ingredient at a time, writing
    the file after each (so a long run can be stopped and resumed)."""
    runs = out["runs"]
    table = out.setdefault("ablation", {})
    table["final recipe"] = {
        "val_accuracy": spread([r["val_accuracy"] for r in runs]),
        "val_accuracy_tta": spread([r["val_accuracy_tta"] for r in runs]),
    }
    for name, change in ABLATIONS.items():
        if name in table:
            continue
        ablated = dataclasses.replace(recipe, **change)
        results = [run(ablated, s, budget=1e9, test=False) for s in seeds]
        table[name] = {
            "change": change,
            "val_accuracy": spread([r["val_accuracy"] for r in results]),
            "val_accuracy_tta": spread(
                [r["val_accuracy_tta"] for r in results]
            ),
            "seconds": spread([r["seconds"] for r in results]),
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
        }
        print(name, table[name], flush=True)
        write_json(path, out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--budget", type=float, default=180.0)
    parser.add_argument(
        "--ablate", action="store_true", help="then the ablation table"
    )
    parser.add_argument(
        "--ablation-only",
        action="store_true",
        help="add the ablation rows missing from --json, keep its runs",
    )
    parser.add_argument("--json", type=Path, default=RESULTS / "speedrun.json")
    args = parser.parse_args()
    if torch.cuda.is_available():
        sys.exit("this script times the CPU recipe; run it without a GPU")
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    recipe = Recipe(bf16=True)
    if args.ablation_only:
        if not args.json.exists():
            sys.exit(
                f"{args.json} does not exist: run without --ablation-only"
            )
        out = json.loads(args.json.read_text())
    else:
        out = timed_runs(recipe, args.seeds, args.budget)
        write_json(args.json, out)
    if args.ablate or args.ablation_only:
        ablate(out, recipe, args.seeds, args.json)
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
