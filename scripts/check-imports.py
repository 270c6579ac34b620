#!/usr/bin/env python3
"""Every module a target imports is one it declares in Package.swift (SwiftPM's
--explicit-target-dependency-import-check covers only the package's own targets, and accepts
transitive ones)."""
import json, os, re, subprocess, sys
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
package = json.loads(subprocess.run(["swift", "package", "dump-package"], cwd=root, check=True, capture_output=True, text=True).stdout)
# Modules of the toolchain and the platform: no declaration needed.
system = {"Foundation", "FoundationEssentials", "FoundationNetworking", "FoundationXML", "Glibc", "Musl", "Darwin", "Dispatch",
          "Synchronization", "Testing", "XCTest", "_Concurrency", "RegexBuilder", "os", "CoreFoundation"}
imports = re.compile(r"^\s*(?:@testable\s+|@_exported\s+|@preconcurrency\s+)*(?:public\s+|package\s+|internal\s+|private\s+|fileprivate\s+)?import\s+(?:(?:struct|class|enum|protocol|func|var|let|typealias)\s+)?([A-Za-z_][A-Za-z0-9_]*)", re.M)
problems = []
for target in package["targets"]:
    if target["type"] == "system":
        continue
    declared = set()
    for dependency in target.get("dependencies", []):
        for kind in ("byName", "target", "product"):
            if kind in dependency:
                declared.add(dependency[kind][0])
    path = target.get("path") or os.path.join("Tests" if target["type"] == "test" else "Sources", target["name"])
    excluded = [os.path.join(root, path, e) for e in target.get("exclude", [])]
    for folder, _, files in os.walk(os.path.join(root, path)):
        if any(folder.startswith(e) for e in excluded):
            continue
        for name in files:
            if not name.endswith(".swift"):
                continue
            text = open(os.path.join(folder, name), encoding="utf-8").read()
            for module in sorted(set(imports.findall(text))):
                if module not in declared and module not in system and module != target["name"]:
                    problems.append(f"{os.path.relpath(os.path.join(folder, name), root)}: target {target['name']} imports {module} without declaring it")
if problems:
    print("\n".join(problems))
    print(f"{len(problems)} undeclared imports: add them to the target's dependencies in Package.swift", file=sys.stderr)
    sys.exit(1)
print("every import is declared in Package.swift")
