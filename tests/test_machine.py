"""The machine description benchmarks write into their records."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from patchflow.machine import cpu_name, limit_blas_threads, speed_probe


def test_cpu_name_is_the_cpuinfo_model_name() -> None:
    name = cpu_name()
    assert isinstance(name, str) and name and name == name.strip()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        models = [ln for ln in cpuinfo.read_text().splitlines() if ln.startswith("model name")]
        if models:
            assert name == models[0].split(":", 1)[1].strip()


def test_speed_probe_reports_ordered_positive_times() -> None:
    probe = speed_probe(rounds=5)
    assert set(probe) == {"p50_ms", "p99_ms"}
    assert 0 < probe["p50_ms"] <= probe["p99_ms"]


def test_limit_blas_threads_holds_here_and_for_spawned_processes(tmp_path: Path) -> None:
    # in a fresh interpreter: the limit is process-wide
    script = tmp_path / "limit.py"
    script.write_text(
        "import json, multiprocessing as mp, os\n"
        "from threadpoolctl import threadpool_info\n"
        "from patchflow.machine import limit_blas_threads\n"
        "def child(q):\n"
        "    q.put(os.environ.get('OPENBLAS_NUM_THREADS'))\n"
        "if __name__ == '__main__':\n"
        "    limit_blas_threads(1)\n"
        "    blas = [i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas']\n"
        "    ctx = mp.get_context('spawn')\n"
        "    q = ctx.Queue()\n"
        "    p = ctx.Process(target=child, args=(q,))\n"
        "    p.start()\n"
        "    print(json.dumps({'blas': blas, 'child': q.get(timeout=60)}))\n"
        "    p.join()\n"
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True)
    got = json.loads(done.stdout)
    assert got["blas"] and set(got["blas"]) == {1}
    assert got["child"] == "1"


@pytest.mark.parametrize("count", [0, -1, 1.5, True])
def test_limit_blas_threads_refuses_a_bad_count(count: object) -> None:
    with pytest.raises(ValueError, match="BLAS thread count"):
        limit_blas_threads(count)  # type: ignore[arg-type]
