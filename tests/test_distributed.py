"""scripts/train.py under torchrun on the CPU (gloo): the same weights as
one process, metrics that agree, two simulated machines, recovery from a
killed worker, and one-line errors.

The runs go through tests/train_for_tests.py: the trainer's own functions
plus the switches only tests need (``--float64``, ``--crash-at-step``, the
``vgg-small`` model). Every run is a tiny model on 256 images for 3 epochs of
8 steps (global batch 32), so the whole file takes well under two minutes on
two cores; every subprocess has a timeout.

The runs train in float64 with SGD with momentum, so that "the same weights"
can be checked tightly. One and two processes add the same numbers in different
orders; in float32 those rounding differences grew, through max pooling, ReLU
and batch norm, to 2.5e-4 in the small VGG's weights after 24 steps (1e-4 with
Adam), about what a second thread gives one process, and too close to the 1e-2
of per-rank batch norm to tell the two apart. Adam divides each gradient by its
own running size, so a gradient near zero whose sign rounding decides moves its
weight by up to a whole learning rate (in float32, one of the mlp's 50,890
weights differed by 4e-5 after 16 steps); SGD's step is proportional to the
gradient.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import train_for_tests as train  # scripts/train.py with the test switches

from utils import (
    TensorBatches,
    evaluate,
    load_fashion_mnist,
    save_checkpoint,
    to_float_images,
)

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = str(ROOT / "tests" / "train_for_tests.py")
USER_SCRIPT = str(ROOT / "scripts" / "train.py")
TORCHRUN = [sys.executable, "-m", "torch.distributed.run"]
ENV = {
    **os.environ,
    "CNN_COURSE_DEVICE": "cpu",
    "CNN_COURSE_PROGRESS": "0",
    "OMP_NUM_THREADS": "1",
    "PYTHONUNBUFFERED": "1",
}
# seconds for one launch: far more than it needs, so a hang fails, not blocks
TIMEOUT = 180
SUBSET, EPOCHS, GLOBAL_BATCH = 256, 3, 32
COMMON = [
    "--subset",
    str(SUBSET),
    "--epochs",
    str(EPOCHS),
    "--optimizer",
    "sgd",
    "--float64",
]

# Largest differences measured here in float64: mlp 6e-17; small VGG with
# --sync-bn 6e-15
# (weights) and 3e-14 (running statistics); without --sync-bn 1e-2 and 5e-2.
TOLERANCE = {"mlp": 1e-10, "vgg-small": 1e-10, "running statistics": 1e-10}


def launch(
    out: Path,
    *options: str,
    processes: int = 1,
    launcher: tuple[str, ...] = (),
    check: bool = True,
) -> subprocess.CompletedProcess:
    """Run the trainer on SUBSET images for EPOCHS epochs into ``out``: as a
    plain process, or under torchrun (``processes`` per machine) with
    ``launcher`` options."""
    args = [SCRIPT, *COMMON, "--out", str(out), *options]
    if processes == 1 and not launcher:
        command = [sys.executable, *args]
    else:
        launcher = launcher or ("--standalone",)
        command = [
            *TORCHRUN,
            *launcher,
            f"--nproc_per_node={processes}",
            *args,
        ]
    result = subprocess.run(
        command,
        env=ENV,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    if check:
        assert result.returncode == 0, (
            result.stdout[-3000:] + result.stderr[-3000:]
        )
    return result


def saved(out: Path) -> dict:
    return torch.load(out / "last.pt", map_location="cpu", weights_only=True)


def largest_difference(
    out_a: Path, out_b: Path, *, running: bool = False
) -> float:
    """The largest |difference| between the weights (or batch-norm running
    statistics)."""
    a, b = saved(out_a)["state_dict"], saved(out_b)["state_dict"]
    assert a.keys() == b.keys()
    keys = [
        k for k in a if ("running" in k) == running and "num_batches" not in k
    ]
    return max(
        (a[k].double() - b[k].double()).abs().max().item() for k in keys
    )


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Runs made once and shared by the tests below, by name."""
    made: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in made:
            made[name] = out = tmp_path_factory.mktemp(name)
            model, processes = name.split("-x")
            model, sync = model.removesuffix("-sync"), model.endswith("-sync")
            options = [
                "--model",
                model,
                "--batch-size",
                str(GLOBAL_BATCH // int(processes)),
            ]
            launch(
                out,
                *options,
                *(["--sync-bn"] if sync else []),
                processes=int(processes),
            )
        return made[name]

    return get


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_two_processes_give_the_weights_of_one_with_twice_the_batch(runs):
    one, two = runs("mlp-x1"), runs("mlp-x2")
    assert largest_difference(one, two) <= TOLERANCE["mlp"]
    history_one, history_two = (
        saved(one)["metadata"]["history"],
        saved(two)["metadata"]["history"],
    )
    # all-reduced: the same counts
    assert history_one["train_acc"] == history_two["train_acc"]
    # utils.fit sums each rank's losses in float32 (1e-7 apart here)
    assert history_one["train_loss"] == pytest.approx(
        history_two["train_loss"], abs=1e-5
    )


def test_sync_bn_gives_a_batch_norm_model_the_weights_of_one_process(runs):
    one, synced, unsynced = (
        runs("vgg-small-x1"),
        runs("vgg-small-sync-x2"),
        runs("vgg-small-x2"),
    )
    assert largest_difference(one, synced) <= TOLERANCE["vgg-small"]
    assert (
        largest_difference(one, synced, running=True)
        <= TOLERANCE["running statistics"]
    )
    # the tolerance is tight enough to see per-rank statistics: without
    # --sync-bn each rank normalizes with the statistics of its own half
    # batch, and the weights drift apart
    assert largest_difference(one, unsynced) > 1e-4


@pytest.mark.parametrize("model", ["mlp", "vgg-small"])
def test_all_reduced_validation_equals_one_process_evaluation(runs, model):
    out = runs(f"{model}-sync-x2" if model == "vgg-small" else f"{model}-x2")
    checkpoint = saved(out)
    network = train.MODELS[model]().double()  # the runs train in float64
    network.load_state_dict(checkpoint["state_dict"])
    data = load_fashion_mnist()
    val = TensorBatches(
        to_float_images(data.val_images[:SUBSET]).double(),
        data.val_labels[:SUBSET],
        batch_size=100,
    )
    loss, accuracy = evaluate(network, val)
    history = checkpoint["metadata"]["history"]
    # a count of correct images: exactly equal
    assert history["val_acc"][-1] == accuracy
    assert history["val_loss"][-1] == pytest.approx(loss, abs=1e-6)


def test_two_machines_simulated_on_one(runs, tmp_path):
    port = free_port()
    launcher = (
        "--nnodes=2",
        "--rdzv-backend=c10d",
        f"--rdzv-endpoint=127.0.0.1:{port}",
        "--rdzv-id=two-machines",
    )
    args = [
        SCRIPT,
        *COMMON,
        "--model",
        "mlp",
        "--batch-size",
        str(GLOBAL_BATCH // 2),
    ]
    machines = [
        subprocess.Popen(
            [
                *TORCHRUN,
                *launcher,
                "--nproc_per_node=1",
                *args,
                "--out",
                str(tmp_path / f"machine{i}"),
            ],
            env=ENV,
            cwd=ROOT,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for i in range(2)
    ]
    try:
        logs = [
            machine.communicate(timeout=TIMEOUT)[0] for machine in machines
        ]
    finally:
        for machine in machines:
            machine.kill()
    assert [m.returncode for m in machines] == [0, 0], "\n".join(logs)[-4000:]
    assert (
        sum("2 processes x 16 images = global batch 32" in log for log in logs)
        == 1
    )
    written = [
        tmp_path / f"machine{i}"
        for i in range(2)
        if (tmp_path / f"machine{i}").exists()
    ]
    assert len(written) == 1, "rank 0 alone writes checkpoints"
    assert largest_difference(written[0], runs("mlp-x1")) <= TOLERANCE["mlp"]


def test_a_killed_worker_is_restarted_and_finishes_from_the_last_checkpoint(
    runs, tmp_path, monkeypatch
):
    options = [
        "--model",
        "mlp",
        "--batch-size",
        "16",
        "--resume",
        "--crash-at-step",
        "12",
    ]
    # without this, a restarted rank can read the dead rank's address from
    # the store that torchrun shares with the workers, and wait for it in
    # vain (PyTorch issue 135712)
    monkeypatch.setitem(ENV, "TORCH_DISABLE_SHARE_RDZV_TCP_STORE", "1")
    result = launch(
        tmp_path,
        *options,
        processes=2,
        launcher=("--standalone", "--max-restarts=1"),
    )
    log = result.stdout + result.stderr
    # rank 1 was killed (SIGKILL) in the middle of epoch 2
    assert "exitcode: -9" in log
    assert "resumed after epoch 1" in result.stdout
    assert saved(tmp_path)["metadata"]["epoch"] == EPOCHS
    assert largest_difference(tmp_path, runs("mlp-x2")) <= TOLERANCE["mlp"]


def _save_and_die_halfway(
    path: Path, model: torch.nn.Module, metadata: dict
) -> None:
    """In a child process: save a checkpoint, but be killed when half the
    bytes are written."""
    real_save = torch.save

    def dying_save(obj, file):
        buffer = io.BytesIO()
        real_save(obj, buffer)
        with open(file, "wb") as out:
            out.write(buffer.getvalue()[: len(buffer.getvalue()) // 2])
            out.flush()
            os.kill(os.getpid(), signal.SIGKILL)

    torch.save = dying_save  # utils.save_checkpoint calls torch.save(...)
    save_checkpoint(path, model, **metadata)


def test_one_process_resume_is_exact_and_a_kill_during_the_save_harms_nothing(
    runs, tmp_path
):
    options = ["--model", "mlp", "--batch-size", str(GLOBAL_BATCH)]
    crashed = launch(tmp_path, *options, "--crash-at-step", "12", check=False)
    assert crashed.returncode == -signal.SIGKILL
    before = saved(tmp_path)
    assert before["metadata"]["epoch"] == 1

    # kill a process while it writes the next checkpoint over last.pt
    model = train.MODELS["mlp"]()
    model.load_state_dict(before["state_dict"])
    child = multiprocessing.get_context("fork").Process(
        target=_save_and_die_halfway,
        args=(tmp_path / "last.pt", model, {**before["metadata"], "epoch": 2}),
    )
    child.start()
    child.join(timeout=60)
    assert child.exitcode == -signal.SIGKILL
    (partial,) = [
        path for path in tmp_path.iterdir() if path.name != "last.pt"
    ]
    assert 0 < partial.stat().st_size < (tmp_path / "last.pt").stat().st_size
    # the half-written file is unreadable: had it been last.pt, the run
    # could not resume
    with pytest.raises(RuntimeError):
        torch.load(partial, weights_only=True)
    # last.pt is still the whole epoch-1 file
    assert saved(tmp_path)["metadata"]["epoch"] == 1

    launch(tmp_path, *options, "--resume")
    reference = saved(runs("mlp-x1"))["state_dict"]
    resumed = saved(tmp_path)["state_dict"]
    # bit for bit
    assert all(torch.equal(resumed[k], reference[k]) for k in reference)


def run_main(argv: list[str], capsys) -> str:
    """train.main in this process; returns its one error line (it must exit
    with code 2)."""
    with pytest.raises(SystemExit) as stopped:
        train.main(argv)
    assert stopped.value.code == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and error.startswith("error: "), error
    return error


@pytest.fixture
def one_cpu_process(monkeypatch, tmp_path):
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CNN_COURSE_DEVICE", "cpu")
    monkeypatch.setenv("CNN_COURSE_PROGRESS", "0")
    return tmp_path


def test_an_unknown_model_is_a_one_line_error(one_cpu_process, capsys):
    error = run_main(
        ["--model", "resnet", "--out", str(one_cpu_process)], capsys
    )
    assert (
        "unknown model 'resnet'; choose one of: vgg, vgg-small, mlp" in error
    )
    result = subprocess.run(
        [sys.executable, SCRIPT, "--model", "resnet"],
        env=ENV,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert (result.returncode, result.stdout, result.stderr.count("\n")) == (
        2,
        "",
        1,
    )


def test_a_global_batch_that_does_not_divide_is_a_one_line_error(
    one_cpu_process, monkeypatch, capsys
):
    # what torchrun --nproc_per_node=3 sets, before any process group
    # exists: the check comes first
    monkeypatch.setenv("WORLD_SIZE", "3")
    monkeypatch.setenv("RANK", "0")
    error = run_main(
        ["--global-batch-size", "32", "--out", str(one_cpu_process)], capsys
    )
    assert (
        "does not divide across 3 processes; use a multiple of it, or "
        "--batch-size" in error
    )


def test_a_subset_smaller_than_one_global_batch_is_a_one_line_error(
    one_cpu_process, capsys
):
    error = run_main(
        ["--model", "mlp", "--subset", "20", "--batch-size", "32"], capsys
    )
    assert "20 training images do not fill one global batch of 32" in error


def test_resume_from_a_missing_or_foreign_file_is_a_one_line_error(
    one_cpu_process, capsys
):
    folder = one_cpu_process
    missing = run_main(
        ["--model", "mlp", "--resume", str(folder / "nothing.pt")], capsys
    )
    assert "no such file" in missing
    (folder / "notes.pt").write_text("not a checkpoint")
    garbage = run_main(
        ["--model", "mlp", "--resume", str(folder / "notes.pt")], capsys
    )
    assert "notes.pt" in garbage
    save_checkpoint(folder / "weights.pt", train.MODELS["mlp"](), accuracy=0.8)
    weights_only = run_main(
        ["--model", "mlp", "--resume", str(folder / "weights.pt")], capsys
    )
    assert "holds no training state (optimizer, epoch)" in weights_only
    wrong_model = run_main(
        ["--model", "vgg", "--resume", str(folder / "weights.pt")], capsys
    )
    assert "weights.pt" in wrong_model and "VGGStyleNet" in wrong_model
    for error in (missing, garbage, weights_only, wrong_model):
        assert (
            "--resume needs a last.pt that scripts/train.py --model" in error
        )


def test_the_users_help_shows_no_test_only_switch():
    result = subprocess.run(
        [sys.executable, USER_SCRIPT, "--help"],
        env=ENV,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert result.returncode == 0, result.stderr
    for switch in ("--resume", "--sync-bn", "--global-batch-size", "vgg, mlp"):
        assert switch in result.stdout
    for switch in ("--float64", "--crash-at-step", "vgg-small"):
        assert switch not in result.stdout
