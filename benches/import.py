#!/usr/bin/env python3
"""Import benchmark: 300 cities' returns (about 18,000 figures) read, checked and written.

    python3 benches/import.py [--copies 75] [--runs 3] [--profile release] [--binary PATH] [--keep DIR]

Builds an edition of 4 x COPIES cities (benches/scale.py's copies of the shipped ones), runs
`yearbook collect` for the next year, fills every value cell of every workbook with openpyxl as a
department would (last year's figure plus 10 %), then times `yearbook import` of all the returns
(--dry-run: read and check every cell, edit every city file in memory, write nothing) and a real
import (the same, plus landing the data folder). Prints the median wall time of each.

--binary times a yearbook binary already built (no cargo run); otherwise it is built, in
CARGO_TARGET_DIR if that is set. --keep DIR prepares the edition and the filled returns in DIR
and keeps them (DIR/returns/*.xlsx), to time the two commands side by side with another tool.
"""
import os
import argparse
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

import openpyxl

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benches"))
import scale  # noqa: E402


def fill(src: pathlib.Path, dst: pathlib.Path) -> int:
    wb = openpyxl.load_workbook(src)
    figures = 0
    for ws in wb.worksheets[1:]:
        if ws.title == "_meta":
            continue
        header = {c.value: c.column for c in ws[2]}
        last, value, unit = header["上年数值"], header["本年数值"], header["单位"]
        for row in range(4, ws.max_row + 1):
            v = ws.cell(row, last).value
            if isinstance(v, (int, float)):
                # A percentage stays as it was (100 % cannot grow); the rest grow by 10 %.
                ws.cell(row, value).value = v if ws.cell(row, unit).value == "%" else round(v * 1.1, 2)
                figures += 1
    wb.save(dst)
    return figures


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", type=int, default=75)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--profile", default="release")
    ap.add_argument("--binary", type=pathlib.Path)
    ap.add_argument("--keep", type=pathlib.Path)
    a = ap.parse_args()
    if a.binary:
        binary = a.binary.resolve()
    else:
        args = ["cargo", "build", "-q"] + (["--release"] if a.profile == "release" else [])
        subprocess.run(args, cwd=ROOT, check=True)
        target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
        binary = target / ("release" if a.profile == "release" else "debug") / "yearbook"
    with tempfile.TemporaryDirectory() as scratch:
        tmp = pathlib.Path(scratch)
        if a.keep:
            a.keep.mkdir(parents=True, exist_ok=False)
            tmp = a.keep.resolve()
        cities = scale.make_edition(tmp, a.copies, ROOT / "data")
        (tmp / "yearbook.toml").write_text(
            (tmp / "yearbook.toml").read_text(encoding="utf-8") + '\n[collect]\ndeadline = "2027-02-15"\n', encoding="utf-8"
        )
        subprocess.run([binary, "-q", "collect"], cwd=tmp, check=True, stdout=subprocess.DEVNULL)
        returns = tmp / "returns"
        returns.mkdir()
        figures = 0
        for wb in sorted((tmp / "dist" / "2026-collect").glob("*.xlsx")):
            figures += fill(wb, returns / wb.name)
        files = sorted(str(p) for p in returns.glob("*.xlsx"))
        print(f"{cities} cities, {len(files)} returns, {figures} figures ({binary.parent.name} binary)")
        for label, extra in [("import --dry-run", ["--dry-run"]), ("import", [])]:
            times = []
            for _ in range(a.runs):
                start = time.perf_counter()
                subprocess.run([binary, "import", *extra, *files], cwd=tmp, check=True, stdout=subprocess.DEVNULL)
                times.append(time.perf_counter() - start)
                if not extra:
                    # The next import of the same returns would change nothing: remove the year
                    # so that each run writes every city file again.
                    subprocess.run(["rm", "-rf", str(tmp / "data" / "2026")], check=True)
            print(f"  {label:<18} median {statistics.median(times):.2f} s  (runs: {', '.join(f'{t:.2f}' for t in times)})")


main()
