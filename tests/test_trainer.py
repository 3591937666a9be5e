"""scripts/train.py's pieces that need no process group: the epoch shards
and the sums (tests/test_distributed.py runs the whole trainer)."""

import torch
import train  # scripts/train.py (tests/conftest.py puts scripts/ on the path)


def shards(rank, world_size=2, seed=0):
    numbers = torch.arange(20)  # image i is the number i
    return train.EpochShards(
        numbers,
        numbers,
        rank=rank,
        world_size=world_size,
        batch_size=4,
        seed=seed,
    )


def epoch(batches, number):
    batches.set_epoch(number)
    return [labels.tolist() for _, labels in batches]


def test_each_epoch_is_one_permutation_shared_out_over_the_ranks():
    ranks = [shards(0), shards(1)]
    assert len(ranks[0]) == 2  # 20 images fill 2 global batches of 8
    for number in range(3):
        mine, theirs = (epoch(batches, number) for batches in ranks)
        order = torch.randperm(
            20, generator=torch.Generator().manual_seed(number)
        )
        for step in range(2):  # together, exactly the step's global batch
            together = sorted(mine[step] + theirs[step])
            assert together == sorted(order[8 * step : 8 * step + 8].tolist())
        seen = [i for batch in mine + theirs for i in batch]
        assert len(set(seen)) == 16  # disjoint; 4 images wait for next epoch


def test_set_epoch_decides_the_order_and_the_seed_shifts_it():
    batches = shards(0)
    first, second = epoch(batches, 0), epoch(batches, 1)
    assert first != second  # a new permutation every epoch
    assert epoch(batches, 0) == first  # ...that a resumed run draws again
    assert epoch(shards(0, seed=1), 0) == second  # seed + epoch


def test_without_a_process_group_the_sums_are_this_processes_own():
    sums = train.summed((2.5, 3, 4), torch.device("cpu"))
    assert sums == [2.5, 3.0, 4.0]
