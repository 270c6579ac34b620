"""Loads an .xlsx written by FleetFile with openpyxl and prints a few cells (compatibility check)."""
import sys
import zipfile

import openpyxl

path = sys.argv[1]
with zipfile.ZipFile(path) as z:
    bad = z.testzip()
    assert bad is None, f"corrupt zip member {bad}"
wb = openpyxl.load_workbook(path)
ws = wb.worksheets[0]
print(f"sheet={ws.title} rows={ws.max_row} cols={ws.max_column}")
for ref in ("A1", "C1", "B2", "I2", "P2"):
    print(f"{ref}={ws[ref].value}")
