#!/usr/bin/env python3
"""Incremental benchmark: how long from saving a one-value edit to the new PDF being in place.

    python3 benches/watch.py [--cities 4] [--build] [--edits 15] [--binary target/release/yearbook]
                             [--vs OTHER_BINARY]

A copy of the shipped project (4 cities; with `--cities N`, N cities: renamed copies of the four,
as the scale benchmark makes them) is watched with `yearbook watch`; each edit changes one figure
of Wuwei and writes the file, as an editor saves it, then the PDF's path is polled every
millisecond until it names a new file (the edition lands by a folder swap, so the path changes
its inode). With `--build`, no watcher: each edit is followed by `yearbook build`, timed from the
save to its exit (a national office correcting one city between runs; the first build, not
timed, fills the layout cache). With `--vs`, the two binaries take turns, edit by edit (each on
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
    def __init__(self, binary: str, dest: pathlib.Path, copies: int, root: pathlib.Path = ROOT):
        self.dest = dest
        scale.make_edition(dest, copies, root / "data", root)  # as the scale benchmark copies it
        self.city = dest / "data" / "2025" / "wuwei.toml"
        self.text = self.city.read_text(encoding="utf-8")
        self.pdf = dest / "dist" / "2025" / "yearbook-2025.pdf"
        self.log = open(dest / "watch.log", "wb")
        self.proc = subprocess.Popen([binary, "watch"], cwd=dest, stdout=subprocess.DEVNULL, stderr=self.log)
        self.edit = 0
        deadline = time.monotonic() + 600
        while not self.pdf.exists():
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise SystemExit(f"{binary}: no first build in 600 s (see {dest / 'watch.log'})")
            time.sleep(0.05)
        time.sleep(0.5)

    def edited(self) -> str:
        """The city file with its first `value = N` changed to a new number each time."""
        self.edit += 1
        return re.sub(r"^value = \d+$", f"value = {70000 + self.edit}", self.text, count=1, flags=re.M)

    def save_and_wait(self) -> float:
        text = self.edited()
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


class Builder(Watcher):
    """`yearbook build` after each edit, instead of a watcher."""

    def __init__(self, binary: str, dest: pathlib.Path, copies: int, root: pathlib.Path = ROOT):
        self.dest, self.binary, self.edit = dest, binary, 0
        scale.make_edition(dest, copies, root / "data", root)
        self.city = dest / "data" / "2025" / "wuwei.toml"
        self.text = self.city.read_text(encoding="utf-8")
        self.build()

    def build(self):
        proc = subprocess.run([self.binary, "build", "--quiet"], cwd=self.dest,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if proc.returncode != 0:
            raise SystemExit(f"{self.binary}: build failed: {proc.stderr.decode()}")

    def save_and_wait(self) -> float:
        text = self.edited()
        start = time.perf_counter()
        with open(self.city, "w", encoding="utf-8") as f:
            f.write(text)
        self.build()
        return time.perf_counter() - start

    def stop(self):
        pass


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--edits", type=int, default=15)
    ap.add_argument("--binary", default=str(ROOT / "target" / "release" / "yearbook"))
    ap.add_argument("--vs", help="a second binary, edited in turn with the first")
    ap.add_argument("--cities", type=int, default=4, help="a multiple of 4: copies of the shipped cities")
    ap.add_argument("--build", action="store_true", help="time `yearbook build` after each edit, not a watcher")
    ap.add_argument("--vs-root", type=pathlib.Path, default=ROOT,
                    help="the checkout whose data, templates and fonts the second binary uses (an older one)")
    args = ap.parse_args()
    copies = max(1, args.cities // 4)
    kind = Builder if args.build else Watcher
    with tempfile.TemporaryDirectory() as tmp:
        a = kind(args.binary, pathlib.Path(tmp) / "a", copies)
        b = kind(args.vs, pathlib.Path(tmp) / "b", copies, args.vs_root) if args.vs else None
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
    how = "build after the save" if args.build else "watch"
    print(f"{copies * 4} cities, {how}: save to new PDF, {args.edits} edits, median (min-max):")
    print(f"  {args.binary}: {statistics.median(ta):.3f} s ({min(ta):.3f}-{max(ta):.3f})")
    if b:
        print(f"  {args.vs}: {statistics.median(tb):.3f} s ({min(tb):.3f}-{max(tb):.3f})")
        ratios = [x / y for x, y in zip(ta, tb)]
        print(f"  ratio, pair by pair: {statistics.median(ratios):.2f}")


if __name__ == "__main__":
    main()
