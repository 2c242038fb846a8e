"""What one comment sent through the form costs the app, in its own process: no server, no
network client, no other process taking turns on the cores.

The Flask test client posts comments to the clause pages of a prepared database (the
demonstration drafts, the period open), as a browser does (Origin, Sec-Fetch-Site), each
from a new client; the script prints the CPU time per comment. With ``--instructions`` it
counts the instructions instead, under valgrind's callgrind (Debian's package valgrind):
unlike seconds, the count does not change with what else the machine is doing, so it is
the figure to compare two versions of the code on a shared machine (``comment_load.py``
measures the whole deployed stack, and varies with its neighbours).

    .venv/bin/python bench/comment_cost.py [--comments 1000] [--database sqlite|postgresql]
    .venv/bin/python bench/comment_cost.py --instructions     (about two minutes)

PostgreSQL: a new database on TEST_DATABASE_URL's server (default the local one), dropped
after. No target: the figure explains the throughput of ``comment_load.py``.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

WARM_UP = 20  # the first comments fill the app's caches and compile its statements
COUNTED_UNDER_VALGRIND = 40


@contextlib.contextmanager
def prepared(database: str):
    """A database ready for comments; yields (database URL, clause page paths)."""
    from comment_load import prepare
    if database == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="comment-cost-"))
        try:
            url = f"sqlite:///{folder / 'cost.sqlite3'}"
            yield url, prepare(url)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    from tests.conftest import _postgres_database  # bench-only: the tests' throw-away database
    server = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    with contextlib.contextmanager(_postgres_database)(server) as url:
        yield url, prepare(url)


def post_comments(database_url: str, paths: list[str], warm_up: int, counted: int) -> float:
    """Post ``warm_up`` then ``counted`` comments; the CPU seconds of the counted ones."""
    from serving import comment_form

    from consult import create_app
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "bench",
                      "COMMENT_RATE_LIMIT": "1000000 per minute"})
    run = time.time_ns()

    def post(n: int) -> None:
        path = paths[n % len(paths)]
        response = app.test_client().post(
            path, data=comment_form(f"Cost comment {run}-{n}.\nТокойлорду коргоо керек.",
                                    f"Citizen {n}"),
            headers={"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin",
                     "User-Agent": f"comment-cost/{run}-{n}"})
        if response.status_code != 302:
            raise SystemExit(f"comment {n} on {path}: HTTP {response.status_code}")

    for n in range(warm_up):
        post(n)
    started = time.process_time()
    for n in range(warm_up, warm_up + counted):
        post(n)
    return time.process_time() - started


def instructions(database_url: str, paths: list[str]) -> int:
    """Instructions per comment: the process counted with and without the comments."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        raise SystemExit("--instructions needs valgrind (Debian: apt-get install valgrind)")
    folder = Path(tempfile.mkdtemp(prefix="comment-cost-"))
    paths_file = folder / "paths.txt"
    paths_file.write_text("\n".join(paths), encoding="utf-8")

    def start(counted: int) -> subprocess.Popen:
        return subprocess.Popen(
            [valgrind, "--tool=callgrind", f"--callgrind-out-file={folder / str(counted)}.out",
             sys.executable, __file__, "--child", database_url, str(paths_file),
             str(counted)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            env=dict(os.environ, PYTHONHASHSEED="0"))

    try:
        # Both at once: a count does not depend on the other process.
        runs = {counted: start(counted) for counted in (0, COUNTED_UNDER_VALGRIND)}
        totals = {}
        for counted, process in runs.items():
            _out, err = process.communicate()
            found = re.search(r"Collected : ([\d,]+)", err)
            if process.returncode != 0 or found is None:
                raise SystemExit(f"callgrind run failed:\n{err[-2000:]}")
            totals[counted] = int(found.group(1).replace(",", ""))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return (totals[COUNTED_UNDER_VALGRIND] - totals[0]) // COUNTED_UNDER_VALGRIND


def main() -> int:
    if len(sys.argv) == 5 and sys.argv[1] == "--child":  # one counted run, under valgrind
        _flag, url, paths_file, counted = sys.argv[1:]
        post_comments(url, Path(paths_file).read_text(encoding="utf-8").split("\n"),
                      WARM_UP, int(counted))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--comments", type=int, default=1000)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="postgresql")
    parser.add_argument("--instructions", action="store_true",
                        help="count instructions under callgrind instead of CPU time")
    args = parser.parse_args()
    with prepared(args.database) as (url, paths):
        if args.instructions:
            count = instructions(url, paths)
            print(f"comment cost ({args.database}): {count / 1e6:.2f} million instructions "
                  f"per comment (callgrind, {COUNTED_UNDER_VALGRIND} comments after "
                  f"{WARM_UP})")
        else:
            seconds = post_comments(url, paths, WARM_UP, args.comments)
            print(f"comment cost ({args.database}): {seconds / args.comments * 1000:.2f} ms "
                  f"of CPU per comment ({args.comments} comments after {WARM_UP})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
