#!/usr/bin/env python3
"""Proof that a killed test run leaves nothing behind.

Starts `swift test --skip-build --filter SUITE` (a suite that starts PostgreSQL and mosquitto),
waits until the run has PostgreSQL, mosquitto and the product binary up, records every process descended from
`swift test` (pid and start time, so a reused pid is not mistaken for a survivor), kills
`swift test` with SIGKILL (what `timeout -s KILL` does; `--signal TERM` for plain `timeout`),
and counts the recorded processes still alive after the grace period. Exits 0 when that count is 0.

    scripts/test-orphans.py                       # default suite, SIGKILL
    scripts/test-orphans.py --signal TERM --filter NotifierFailoverTests

Needs a built test binary (`swift build --build-tests`).
"""
import argparse
import os
import signal
import subprocess
import sys
import time


def processes():
    """pid -> (ppid, start time, state, command line) of every process."""
    table = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                stat = f.read()
            with open(f"/proc/{name}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        # The command (field 2) may hold spaces and parentheses: split after its last ')'.
        fields = stat[stat.rindex(")") + 2:].split()
        table[int(name)] = (int(fields[1]), int(fields[19]), fields[0], cmdline)
    return table


def descendants(root, table):
    found, frontier = {}, [root]
    while frontier:
        parent = frontier.pop()
        for pid, (ppid, start, _, cmdline) in table.items():
            if ppid == parent and pid not in found:
                found[pid] = (start, cmdline)
                frontier.append(pid)
    return found


def alive(recorded):
    """The recorded processes that still run (same pid and start time, not a zombie)."""
    table = processes()
    return {pid: cmd for pid, (start, cmd) in recorded.items()
            if pid in table and table[pid][1] == start and table[pid][2] != "Z"}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--filter", default="NotifierFailoverTests",
                        help="the suites to run (they must start PostgreSQL and mosquitto)")
    parser.add_argument("--until", default="postgres,mosquitto,/cctv-out ",
                        help="comma-separated texts that must appear in the run's command lines before the kill "
                             "(default: PostgreSQL, mosquitto and the product binary are running)")
    parser.add_argument("--signal", default="KILL", choices=["KILL", "TERM"])
    parser.add_argument("--grace", type=float, default=15, help="seconds the children get to die")
    parser.add_argument("--wait", type=float, default=180, help="seconds to wait for them")
    args = parser.parse_args()

    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    run = subprocess.Popen(["swift", "test", "--skip-build", "--no-parallel", "--filter", args.filter],
                           cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + args.wait
    recorded = {}
    while time.monotonic() < deadline and run.poll() is None:
        recorded = descendants(run.pid, processes())
        commands = " ".join(cmd for _, cmd in recorded.values())
        if all(text in commands for text in args.until.split(",")):
            break
        time.sleep(0.2)
    else:
        run.kill()
        print(f"the run did not start {args.until} within {args.wait:.0f} s "
              f"(exit {run.poll()}); is the test binary built?", file=sys.stderr)
        return 2
    time.sleep(1)  # mid-run: let the suites get going
    recorded = descendants(run.pid, processes())
    print(f"swift test (pid {run.pid}) runs {len(recorded)} processes:")
    for pid, (_, cmd) in sorted(recorded.items()):
        print(f"  {pid} {cmd[:140]}")
    os.kill(run.pid, getattr(signal, "SIG" + args.signal))
    run.wait()
    started = time.monotonic()
    left = alive(recorded)
    while left and time.monotonic() - started < args.grace:
        time.sleep(0.2)
        left = alive(recorded)
    print(f"after SIG{args.signal} to swift test: {len(left)} of {len(recorded)} processes left "
          f"after {time.monotonic() - started:.1f} s")
    for pid, cmd in sorted(left.items()):
        print(f"  left: {pid} {cmd[:140]}")
        os.kill(pid, signal.SIGKILL)  # do not leave them to the next run
    return 1 if left else 0


if __name__ == "__main__":
    sys.exit(main())
