#!/usr/bin/env python3
"""CPU and context switches per thread name of one running process over a window: which of
serve's threads (the ICMP engine's, the MQTT network threads `m:…`, the Swift pool's
`com.apple.root.default-qos`) use the CPU and how often they are woken.
Usage: scripts/threads.py PID SECONDS   (e.g. beside scripts/bench-serve.sh, on its serve pid)"""
import glob, sys, time, os, collections
pid, seconds = sys.argv[1], float(sys.argv[2])
tick = os.sysconf("SC_CLK_TCK")
def sample():
    out = {}
    for t in glob.glob(f"/proc/{pid}/task/*"):
        try:
            stat = open(t + "/stat").read()
            status = open(t + "/status").read()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        rest = stat[stat.rindex(")") + 2:].split()
        cpu = (int(rest[11]) + int(rest[12])) / tick
        sw = [0, 0]
        for line in status.splitlines():
            if line.startswith("voluntary_ctxt_switches"):
                sw[0] = int(line.split()[1])
            elif line.startswith("nonvoluntary_ctxt_switches"):
                sw[1] = int(line.split()[1])
        out[t] = (name, cpu, sw)
    return out
a = sample(); time.sleep(seconds); b = sample()
# Per name: threads, CPU seconds, voluntary switches (the thread waited), involuntary (preempted).
agg = collections.defaultdict(lambda: [0, 0.0, 0, 0])
for t, (name, cpu, sw) in b.items():
    c0, s0 = (a[t][1], a[t][2]) if t in a else (0.0, [0, 0])
    g = agg[name]; g[0] += 1; g[1] += cpu - c0; g[2] += sw[0] - s0[0]; g[3] += sw[1] - s0[1]
print(f"{'thread name':32} {'n':>3} {'CPU %':>7} {'waits/s':>8} {'preempted/s':>11}")
for name, (n, cpu, vol, invol) in sorted(agg.items(), key=lambda kv: -(kv[1][2] + kv[1][3])):
    if cpu == 0 and vol + invol == 0: continue
    print(f"{name:32} {n:3d} {cpu * 100 / seconds:7.1f} {vol / seconds:8.0f} {invol / seconds:11.0f}")
total = [sum(g[i] for g in agg.values()) for i in (1, 2, 3)]
print(f"{'total':32} {len(b):3d} {total[0] * 100 / seconds:7.1f} {total[1] / seconds:8.0f} {total[2] / seconds:11.0f}")
