"""Summarize ``mutmut results --all true`` (read from stdin): the mutation
score of utils.

    .venv/bin/mutmut results --all true | python scripts/mutation_score.py

Prints killed / total per file and overall, and lists the surviving mutants,
which are the behaviours a bug could change without any unit test noticing
(inspect one with ``mutmut show NAME``). Exits 1 below the course's bar of 80%.
"""

import collections
import re
import sys

BAR = 0.80

counts: dict[str, collections.Counter] = collections.defaultdict(
    collections.Counter
)
survivors = []
for line in sys.stdin:
    match = re.match(r"\s*(utils\.(\w+)\.\S+): (.+)$", line)
    if not match:
        continue
    name, module, status = (
        match.group(1),
        match.group(2),
        match.group(3).strip(),
    )
    counts[module][status] += 1
    if status == "survived":
        survivors.append(name)
killed = sum(c["killed"] + c["timeout"] for c in counts.values())
total = sum(sum(c.values()) - c["skipped"] for c in counts.values())
for module, c in sorted(counts.items()):
    module_total = sum(c.values()) - c["skipped"]
    print(
        f"utils/{module}.py: {c['killed'] + c['timeout']}/{module_total} "
        f"killed, {dict(c)}"
    )
if not total:
    sys.exit("no mutmut results on stdin: run `mutmut run` first")
print(
    f"\nmutation score: {killed}/{total} = {killed / total:.1%} "
    f"(bar {BAR:.0%})"
)
print(f"{len(survivors)} surviving mutants:", *survivors, sep="\n  ")
sys.exit(0 if killed / total >= BAR else 1)
