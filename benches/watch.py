#!/usr/bin/env python3
"""Watch benchmark: how long from saving a one-value edit to the new PDF being in place.

    python3 benches/watch.py [--edits 15] [--binary target/release/yearbook] [--vs OTHER_BINARY]

A copy of the shipped project (4 cities) is watched with `yearbook watch`; each edit changes one
figure of Wuwei and writes the file, as an editor saves it, then the PDF's path is polled every
millisecond until it names a new file (the edition lands by a folder swap, so the path changes
its inode). With `--vs`, the two binaries take turns, edit by edit (each has its own watcher on
its own copy), and the medians and the median of the pairwise ratios are printed.
"""
import argparse
import os
import pathlib
import re
import statistics
import sys
import subprocess
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benches"))
import scale  # noqa: E402


class Watcher:
    def __init__(self, binary: str, dest: pathlib.Path):
        self.dest = dest
        scale.make_edition(dest, 1, ROOT / "data")  # the shipped project, as the scale benchmark copies it
        self.city = dest / "data" / "2025" / "wuwei.toml"
        self.text = self.city.read_text(encoding="utf-8")
        self.pdf = dest / "dist" / "2025" / "yearbook-2025.pdf"
        self.log = open(dest / "watch.log", "wb")
        self.proc = subprocess.Popen([binary, "watch"], cwd=dest, stdout=subprocess.DEVNULL, stderr=self.log)
        self.edit = 0
        deadline = time.monotonic() + 60
        while not self.pdf.exists():
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise SystemExit(f"{binary}: no first build in 60 s (see {dest / 'watch.log'})")
            time.sleep(0.05)
        time.sleep(0.5)

    def save_and_wait(self) -> float:
        self.edit += 1
        # The first `value = N` of the file, changed to a new number each time.
        text = re.sub(r"^value = \d+$", f"value = {70000 + self.edit}", self.text, count=1, flags=re.M)
        before = os.stat(self.pdf).st_ino
        start = time.perf_counter()
        with open(self.city, "w", encoding="utf-8") as f:
            f.write(text)
        deadline = start + 30
        while True:
            try:
                if os.stat(self.pdf).st_ino != before:
                    break
            except FileNotFoundError:
                pass
            if time.perf_counter() > deadline:
                raise SystemExit(f"no rebuild within 30 s (see {self.dest / 'watch.log'})")
            time.sleep(0.001)
        took = time.perf_counter() - start
        # Let the watcher settle before the next edit.
        time.sleep(0.4)
        return took

    def stop(self):
        self.proc.terminate()
        self.proc.wait()
        self.log.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--edits", type=int, default=15)
    ap.add_argument("--binary", default=str(ROOT / "target" / "release" / "yearbook"))
    ap.add_argument("--vs", help="a second binary, edited in turn with the first")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        a = Watcher(args.binary, pathlib.Path(tmp) / "a")
        b = Watcher(args.vs, pathlib.Path(tmp) / "b") if args.vs else None
        ta, tb = [], []
        try:
            for _ in range(args.edits):
                ta.append(a.save_and_wait())
                if b:
                    tb.append(b.save_and_wait())
        finally:
            a.stop()
            if b:
                b.stop()
    print(f"save to new PDF, {args.edits} edits, median (min-max):")
    print(f"  {args.binary}: {statistics.median(ta):.3f} s ({min(ta):.3f}-{max(ta):.3f})")
    if b:
        print(f"  {args.vs}: {statistics.median(tb):.3f} s ({min(tb):.3f}-{max(tb):.3f})")
        ratios = [x / y for x, y in zip(ta, tb)]
        print(f"  ratio, pair by pair: {statistics.median(ratios):.2f}")


if __name__ == "__main__":
    main()
