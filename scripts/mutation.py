"""Mutation run over the rules' modules (workflow, policy, deadlines) with mutmut against the
fast SQLite tests, then a summary per file and every surviving mutant with its diff.

    .venv/bin/python scripts/mutation.py            # a fresh run (15–30 min on 2 shared cores)
    .venv/bin/python scripts/mutation.py --resume   # finish an interrupted run, then report
    .venv/bin/python scripts/mutation.py --report   # only print the report of the last run

What is mutated and which tests run are set in pyproject.toml under [tool.mutmut]. mutmut 3
runs, for each mutant, only the tests that called the mutated function; it mutates code
inside functions, not module-level tables (those are pinned by the transition-table and
authorization-matrix tests). Not part of CI.
"""
import argparse
import os
import shutil
import subprocess
import sys
import time
import tomllib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "mutants"
LOG = WORK / "run.log"
NOT_KILLED = ("survived", "timeout", "suspicious", "no tests", "segfault", "not checked")


def mutmut(*args: str, capture: bool = True) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "TEST_DATABASE_URL"}  # SQLite only
    if capture:
        return subprocess.run([sys.executable, "-m", "mutmut", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True)
    with LOG.open("w") as log:
        return subprocess.run([sys.executable, "-m", "mutmut", *args], cwd=ROOT, env=env,
                              stdout=log, stderr=subprocess.STDOUT, text=True)


def mutated_files() -> dict[str, str]:
    """Dotted module name -> path, for the files [tool.mutmut] mutates."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]
    return {path.removesuffix(".py").replace("/", "."): path for path in config["only_mutate"]}


def results() -> dict[str, str]:
    """Mutant name -> status (killed, survived, timeout, ...) of the last run."""
    out = mutmut("results", "--all", "true")
    if out.returncode:
        sys.exit(out.stdout + out.stderr)
    pairs = (line.strip().rsplit(": ", 1) for line in out.stdout.splitlines() if ": " in line)
    return {name: status for name, status in pairs}


def file_of(name: str, files: dict[str, str]) -> str:
    return next(path for module, path in files.items() if name.startswith(module + "."))


def _first_changed_line(path: str, diff: str) -> int | None:
    """The file line of the mutant's first changed line: the diff covers the mutated
    function alone, so find that function's lines in the file and count into the hunk."""
    lines = [ln for ln in diff.splitlines() if not ln.startswith(("---", "+++"))]
    hunks = [i for i, ln in enumerate(lines) if ln.startswith("@@")]
    if len(hunks) != 1:
        return None
    body = lines[hunks[0] + 1:]
    old = [ln[1:] for ln in body if not ln.startswith("+")]
    index = next((i for i, ln in enumerate(ln for ln in body if not ln.startswith("+"))
                  if ln.startswith("-")), None)
    if index is None:
        return None
    text = (ROOT / path).read_text().splitlines()
    for start in range(len(text) - len(old) + 1):
        if text[start:start + len(old)] == old:
            return start + index + 1
    return _fallback_line(path, body)


def _fallback_line(path: str, body: list[str]) -> int | None:
    removed = next((ln[1:].strip() for ln in body if ln.startswith("-")), None)
    if removed is None:
        return None
    for number, line in enumerate((ROOT / path).read_text().splitlines(), 1):
        if line.strip() == removed:
            return number
    return None


def report(elapsed: float | None) -> None:
    files = mutated_files()
    statuses = results()
    if not statuses:
        sys.exit("No results: run the script without --report first.")
    per_file: dict[str, Counter] = {path: Counter() for path in files.values()}
    for name, status in statuses.items():
        per_file[file_of(name, files)][status] += 1
    columns = ("mutants", "killed", "survived", "timeout", "other")
    print(f"\n{'file':28}" + "".join(f"{c:>10}" for c in columns))
    total = Counter()
    for path, counts in per_file.items():
        row = {"mutants": sum(counts.values()), "killed": counts["killed"],
               "survived": counts["survived"], "timeout": counts["timeout"]}
        row["other"] = row["mutants"] - row["killed"] - row["survived"] - row["timeout"]
        total.update(row)
        print(f"{path:28}" + "".join(f"{row[c]:>10}" for c in columns))
    print(f"{'total':28}" + "".join(f"{total[c]:>10}" for c in columns))
    others = Counter(s for s in statuses.values() if s not in ("killed", "survived", "timeout"))
    if others:
        print("other: " + ", ".join(f"{n} {s}" for s, n in sorted(others.items())))
    if elapsed is not None:
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"run time {elapsed / 60:.1f} min on {os.cpu_count()} cores, load average {load}")
    left = []
    for name, status in statuses.items():
        if status in NOT_KILLED:
            path = file_of(name, files)
            diff = mutmut("show", name).stdout.split("\n", 1)[-1].strip()
            number = name.rpartition("_")[2]
            left.append((path, _first_changed_line(path, diff) or 0,
                         int(number) if number.isdigit() else 0, name, status, diff))
    if left:
        print(f"\n{len(left)} mutants not killed:")
    for path, line, _number, name, status, diff in sorted(left):
        print(f"\n{path}:{line or '?'}  {status}  {name}")
        print("\n".join(ln for ln in diff.splitlines() if not ln.startswith(("---", "+++"))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resume", action="store_true", help="keep the last run's results")
    parser.add_argument("--report", action="store_true", help="only report the last run")
    parser.add_argument("--jobs", type=int, default=os.cpu_count(), help="parallel mutants")
    args = parser.parse_args()
    elapsed = None
    if not args.report:
        if not args.resume:
            shutil.rmtree(WORK, ignore_errors=True)
        WORK.mkdir(exist_ok=True)
        print(f"mutmut run with {args.jobs} jobs; progress in {LOG.relative_to(ROOT)}", flush=True)
        started = time.monotonic()
        run = mutmut("run", "--max-children", str(args.jobs), capture=False)
        elapsed = time.monotonic() - started
        if run.returncode:
            sys.exit(f"mutmut failed ({run.returncode}); see {LOG}:\n" + LOG.read_text()[-3000:])
    report(elapsed)


if __name__ == "__main__":
    main()
