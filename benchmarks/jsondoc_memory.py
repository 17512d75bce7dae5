"""Cost of planning keyconf's one-key edit of a big ~/.claude.json (`hasCompletedOnboarding`), in jsondoc alone.

Each measurement runs in a fresh process: read the file (not counted), then JsonDoc + set_owned + content(),
then restore_owned on the result. Memory is tracemalloc's peak (allocations made by the edit, the file's own
bytes excluded) and the process's peak RSS up to the end of planning (Python and the read file included);
time is from an untraced run.

    .venv/bin/python benchmarks/jsondoc_memory.py [--mb 200] [--kind ascii|unicode]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def make(path: Path, mb: int, kind: str) -> None:
    """A Claude Code state file: a few top-level settings and a big `projects` object."""
    if kind == "ascii":
        def project(i):
            return {"history": [{"display": "x" * 200, "pastedContents": {}}] * 40, "allowedTools": []}
    else:  # many small values, CJK and emoji in the history (a str of this file needs 4 bytes a character)
        def project(i):
            return {"allowedTools": ["Bash(ls)", "Read"], "mcpServers": {}, "lastCost": 0.12,
                    "history": [{"display": f"fix bug {j} 修复 🚀", "pastedContents": {}, "n": j, "ok": True}
                                for j in range(30)]}
    per = len(json.dumps(project(0), indent=2, ensure_ascii=False).encode())
    projects = {f"/work/p{i}": project(i) for i in range(mb * 1_000_000 // per)}
    doc = {"numStartups": 3, "projects": projects, "userID": "0" * 64}
    path.write_bytes(json.dumps(doc, indent=2, ensure_ascii=False).encode())


def measure(path: str, trace: bool) -> dict:
    import tracemalloc

    from keyconf.formats.jsondoc import JsonDoc
    from keyconf.formats.jsonowned import restore_owned, set_owned

    original = Path(path).read_bytes()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if trace:
        tracemalloc.start()
    start = time.perf_counter()
    doc = JsonDoc(original, "~/.claude.json")
    owned = set_owned(doc, {("hasCompletedOnboarding",): "true"}, None)
    after = doc.content()
    plan = time.perf_counter() - start
    rss_plan = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    peak = tracemalloc.get_traced_memory()[1] if trace else 0
    if trace:
        tracemalloc.stop()
    del doc  # what `remove` holds: the edited file, not the first document too
    start = time.perf_counter()
    again = JsonDoc(after, "~/.claude.json")
    restore_owned(again, owned)
    same = again.content() == original
    undo = time.perf_counter() - start
    return {"size": len(original), "plan_s": plan, "restore_s": undo, "peak": peak, "identical": same,
            "rss_before": rss_before * 1024, "rss_plan": rss_plan * 1024}


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        print(json.dumps(measure(sys.argv[2], sys.argv[3] == "trace")))
        return
    if len(sys.argv) == 5 and sys.argv[1] == "--make":
        make(Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=200)
    parser.add_argument("--kind", choices=("ascii", "unicode"), default="ascii")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ".claude.json"
        # Made in a process of its own: Linux hands a parent's peak RSS down to the children it starts.
        subprocess.run([sys.executable, __file__, "--make", str(path), str(args.mb), args.kind], check=True)
        runs = {}
        for mode in ("time", "trace"):
            out = subprocess.run([sys.executable, __file__, "--child", str(path), mode], check=True,
                                 capture_output=True, text=True, env=os.environ).stdout
            runs[mode] = json.loads(out)
        size = runs["time"]["size"]
        print(f"file: {size / 1e6:.0f} MB ({args.kind})")
        print(f"plan one-key edit: {runs['time']['plan_s']:.2f} s; restore: {runs['time']['restore_s']:.2f} s")
        print(f"tracemalloc peak of the edit: {runs['trace']['peak'] / 1e6:.0f} MB "
              f"({runs['trace']['peak'] / size:.2f}x the file)")
        print(f"process peak RSS while planning: {runs['time']['rss_plan'] / 1e6:.0f} MB, of which "
              f"{runs['time']['rss_before'] / 1e6:.0f} MB before it (Python and the file read)")
        print("byte-identical after restore:", runs["time"]["identical"])


if __name__ == "__main__":
    main()
