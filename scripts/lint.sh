#!/usr/bin/env bash
# Lint: every imported module declared in Package.swift, and swift-format's rules (.swift-format).
# swift-format's whitespace findings (indentation, line breaks, spacing, line length, trailing
# commas) cannot be switched off in lint mode (swiftlang/swift-format#764) and the tree is not
# formatted by the tool, so they are left out here; every other finding fails.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 scripts/check-imports.py
whitespace='\[(Indentation|AddLines|RemoveLine|Spacing|TrailingComma|LineLength|TrailingWhitespace|EndOfLineComment)\]'
findings=$(swift format lint --recursive --parallel Sources Tests Package.swift 2>&1 | grep -Ev "$whitespace" || true)
if [ -n "$findings" ]; then
  echo "$findings"
  echo "swift-format: $(echo "$findings" | wc -l) findings (rules in .swift-format)" >&2
  exit 1
fi
echo "swift-format: no findings (rules in .swift-format; whitespace not linted)"
