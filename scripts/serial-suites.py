#!/usr/bin/env python3
"""The suites tagged `.serial` (Tests/TestSupport/TestTags.swift), as one regular expression over
test ids (`Module.Suite/test()`), for `swift test --filter` / `--skip`. Swift 6.3's `swift test`
cannot select by tag (`--filter tag:…` arrives with a later swift-testing), so scripts/test.sh asks
this script instead: the tag in the source stays the one place that says a suite runs alone."""
import os, re
root = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "Tests")
suite = re.compile(r"@Suite\(((?:[^()]|\([^()]*\))*)\)\s*(?:@\w+\s*)*(?:(?:public|internal|final|private)\s+)*(?:struct|class|enum|actor)\s+(\w+)")
names = []
for module in sorted(os.listdir(root)):
    folder = os.path.join(root, module)
    if not os.path.isdir(folder):
        continue
    for name in sorted(os.listdir(folder)):
        if name.endswith(".swift"):
            text = open(os.path.join(folder, name), encoding="utf-8").read()
            names += [f"{module}\\.{m.group(2)}" for m in suite.finditer(text) if ".serial" in m.group(1).replace(".serialized", "")]
print("^(" + "|".join(names) + ")/")
