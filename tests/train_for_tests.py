"""scripts/train.py with the switches only tests need, built from the
trainer's own functions (tests/test_distributed.py runs it under torchrun):

- ``--model vgg-small``: chapter 8's design with widths 8 and 16;
- ``--float64``: train and evaluate in float64, so that rounding differences
  stay near 1e-16 and one process can be compared with several tightly;
- ``--crash-at-step K``: the last rank kills itself (SIGKILL: no exception,
  no clean-up) at step K of the run, on torchrun's first try only.
"""

import os
import signal
import sys
from functools import partial
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
import train  # scripts/train.py

import utils

MODELS = {
    "vgg": train.MODELS["vgg"],
    "vgg-small": lambda: utils.VGGStyleNet(widths=(8, 16)),
    "mlp": train.MODELS["mlp"],
}


class CrashingShards(train.EpochShards):
    """The trainer's shards, but the last rank dies at step ``crash_at``."""

    def __init__(self, *args, crash_at: int | None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        first_try = os.environ.get("TORCHELASTIC_RESTART_COUNT", "0") == "0"
        last_rank = self.rank == self.world_size - 1
        self.crash_at = crash_at if first_try and last_rank else None

    def __iter__(self):
        first = self.epoch * len(self) + 1  # after the earlier epochs' steps
        for step, batch in enumerate(super().__iter__(), first):
            if step == self.crash_at:
                os.kill(os.getpid(), signal.SIGKILL)
            yield batch


def main(argv: list[str] | None = None) -> None:
    parser = train.build_parser(MODELS)
    tests = parser.add_argument_group("for tests")
    tests.add_argument("--float64", action="store_true")
    tests.add_argument("--crash-at-step", type=int, metavar="K")
    args = parser.parse_args(argv)
    train.run(
        args,
        models=MODELS,
        dtype=torch.float64 if args.float64 else torch.float32,
        shards=partial(CrashingShards, crash_at=args.crash_at_step),
    )


if __name__ == "__main__":
    main()
