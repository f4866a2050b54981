#!/usr/bin/env python3
"""Web edition benchmark: `yearbook web` on an edition of 4 x COPIES cities (300 by default),
median wall time of several runs (after one warm-up), the site's size, and its largest page (the
target: under 3 s in release on 2 cores, no page over 1 MB; the data files beside the tables are
downloads). Exits 1 when a page is over 1 MiB.

    python3 benches/web.py [--copies 75] [--runs 3] [--profile release]
"""
import argparse
import json
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benches"))
import scale  # noqa: E402  (make_edition)

MB = 1 << 20


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", type=int, default=75)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--profile", default="release", choices=["release", "dev"])
    args = ap.parse_args()
    cmd = ["cargo", "build", "-q", "--message-format=json"] + (["--release"] if args.profile == "release" else [])
    built = subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.PIPE, text=True).stdout
    # Where cargo put the binary (CARGO_TARGET_DIR or a build folder may move it), as it says.
    binary = next(m["executable"] for m in map(json.loads, built.splitlines())
                  if m.get("reason") == "compiler-artifact" and m.get("executable"))
    with tempfile.TemporaryDirectory() as tmp:
        dest = pathlib.Path(tmp)
        cities = scale.make_edition(dest, args.copies, ROOT / "data")
        times = []
        subprocess.run([str(binary), "web", "-q"], cwd=dest, check=True, capture_output=True)  # warm-up
        for _ in range(args.runs):
            start = time.perf_counter()
            subprocess.run([str(binary), "web", "-q"], cwd=dest, check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            times.append(time.perf_counter() - start)
        site = dest / "dist" / "2025" / "web"
        pages = sorted(site.glob("*.html"), key=lambda p: p.stat().st_size)
        files = [p for p in site.rglob("*") if p.is_file()]
        total = sum(p.stat().st_size for p in files)
        biggest = pages[-1]
        print(f"cities {cities}, profile {args.profile}, runs {args.runs}")
        print(f"median {statistics.median(times):.2f} s (min {min(times):.2f}, max {max(times):.2f})")
        print(f"{len(pages)} pages, {len(files)} files, {total / MB:.1f} MiB in all")
        print(f"largest page {biggest.name}: {biggest.stat().st_size / MB:.2f} MiB")
        over = [p.name for p in pages if p.stat().st_size > MB]
        print("pages over 1 MiB: " + (", ".join(over) if over else "none"))
        sys.exit(1 if over else 0)


if __name__ == "__main__":
    main()
