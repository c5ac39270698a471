"""Reads a TensorFlow cluster file and says where a graph's ops go on that cluster.

A cluster file is JSON in TensorFlow's usual format: job names mapping to lists of
`host:port` addresses, one per task, e.g.

    {"worker": ["gpu-box-1:2222", "gpu-box-2:2222"]}

The `TF_CONFIG` form, `{"cluster": {...}, "task": {...}}`, is accepted too (only its
"cluster" is read). `python/serve.py` starts one task of such a cluster; `python/export.py
--cluster FILE` pins a graph's variables and compute to its jobs (see `device_setter`).
This module imports no TensorFlow, so it is cheap to test.
"""

import json
import re
from pathlib import Path

# host:port, the host a name, an IPv4 address or a bracketed IPv6 address.
_ADDRESS = re.compile(r"^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$")

COMPUTE_JOB = "worker"
VARIABLES_JOB = "ps"


def parse(spec, source="cluster spec"):
    """Checks a cluster dict and returns it as {job: [address, ...]}; raises SystemExit."""
    if isinstance(spec, dict) and isinstance(spec.get("cluster"), dict):
        spec = spec["cluster"]
    if not isinstance(spec, dict) or not spec:
        raise SystemExit(
            f'error: {source} must map job names to address lists, e.g. {{"worker": '
            f'["host1:2222", "host2:2222"]}}'
        )
    cluster = {}
    for job, tasks in spec.items():
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", str(job)):
            raise SystemExit(f"error: {source}: {job!r} is not a valid job name")
        if isinstance(tasks, dict):
            # TensorFlow also accepts {task index: address}; keep the indices dense.
            try:
                indices = sorted(int(i) for i in tasks)
            except ValueError:
                raise SystemExit(f"error: {source}: job {job!r} has a non-numeric task") from None
            if indices != list(range(len(indices))):
                raise SystemExit(f"error: {source}: job {job!r} must number its tasks 0..n-1")
            tasks = [tasks[str(i)] if str(i) in tasks else tasks[i] for i in indices]
        if not isinstance(tasks, list) or not tasks:
            raise SystemExit(f"error: {source}: job {job!r} needs a list of host:port addresses")
        for address in tasks:
            match = _ADDRESS.match(str(address))
            if not match or not 1 <= int(match.group(1)) <= 65535:
                raise SystemExit(
                    f"error: {source}: job {job!r} has {address!r}, expected host:port with a "
                    f"port from 1 to 65535"
                )
        cluster[str(job)] = [str(a) for a in tasks]
    return cluster


def load(path):
    """Reads and checks a cluster file."""
    path = Path(path)
    try:
        spec = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise SystemExit(f"error: cannot read the cluster file {path}: {err.strerror}") from None
    except json.JSONDecodeError as err:
        raise SystemExit(f"error: {path} is not valid JSON: {err}") from None
    return parse(spec, source=str(path))


def address(cluster, job, task):
    """The host:port of one task; raises SystemExit naming the job or task that is missing."""
    if job not in cluster:
        raise SystemExit(f"error: the cluster has no job {job!r}; its jobs: {', '.join(cluster)}")
    tasks = cluster[job]
    if not 0 <= task < len(tasks):
        raise SystemExit(f"error: job {job!r} has tasks 0..{len(tasks) - 1}, not task {task}")
    return tasks[task]


def placement(cluster):
    """Where an exported graph's ops go: (variables_job, variable_tasks, compute_device).

    Compute runs on the first task of the `worker` job. Variables are spread round-robin over
    the tasks of the `ps` job when the cluster has one, else over all `worker` tasks, so with
    two workers half of the variables live on the second host and travel to the first each
    step.
    """
    if COMPUTE_JOB not in cluster:
        raise SystemExit(
            f"error: the cluster needs a {COMPUTE_JOB!r} job to run the graph; its jobs: "
            f"{', '.join(cluster)}"
        )
    variables_job = VARIABLES_JOB if VARIABLES_JOB in cluster else COMPUTE_JOB
    return variables_job, len(cluster[variables_job]), f"/job:{COMPUTE_JOB}/task:0"
