#!/usr/bin/env python3
"""Scale benchmark: build editions of 1x, 10x, ... the shipped cities and print a table of median
wall time, peak memory, pages and PDF size, and the ratio to an independent Typst (the Python
package `typst`, a fresh process per run) compiling the very source our build generates.

    python3 benches/scale.py [--copies 1,10,50] [--generated 300] [--runs 3] [--profile release]
                             [--standard a-2b] [--no-typst]

`--generated N` builds the generated national edition of N cities (examples/national_edition.rs,
the generator the layout tests use: 31 provinces, each city its own subset of figures, results,
progress and plans, notes on a few) instead of, or beside, the copies. With both, every edition
is built in turn in each round (A B A B ...), so they are measured side by side on the same
binary, and an edition of the same size as another gets a ratio line (generated / copied: time
pair by pair, memory and pages of the medians). Example: `--copies 75 --generated 300 --no-typst`.

Our build and the independent Typst run in turn (A B A B ...), and the ratio is taken pair by
pair, so that a noisy machine's drift does not favour either. Our time includes the workbook and
loading the data; Typst's is the PDF alone.

Each copy of a city gets a new id (`sanmenxia-c7`), so the book really grows: more chapters rows,
more tables, more pages. The binary is built once with cargo in the chosen profile.
"""
import argparse
import os
import pathlib
import re
import shutil
import statistics
import subprocess
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent


def make_edition(dest: pathlib.Path, copies: int, source: pathlib.Path, root: pathlib.Path = ROOT) -> int:
    data = dest / "data"
    shutil.copytree(source / "catalogue", data / "catalogue")
    (data / "2025").mkdir(parents=True)
    cities = 0
    for src in sorted((source / "2025").glob("*.toml")):
        text = src.read_text(encoding="utf-8")
        for k in range(copies):
            cid = src.stem if k == 0 else f"{src.stem}-c{k}"
            body = re.sub(r'^id = "[^"]*"', f'id = "{cid}"', text, count=1, flags=re.M)
            if k:
                # A copy is another city: it cannot share the division code.
                body = re.sub(r'^code = "[^"]*"\n', '', body, count=1, flags=re.M)
                body = re.sub(r'^(name = \{ zh = ")([^"]*)(", en = ")([^"]*)(")', rf'\g<1>\g<2>{k}\g<3>\g<4> {k}\g<5>', body, count=1, flags=re.M)
            (data / "2025" / f"{cid}.toml").write_text(body, encoding="utf-8")
            cities += 1
    (dest / "yearbook.toml").write_text(
        (root / "yearbook.toml").read_text(encoding="utf-8")
        .replace('templates = "templates"', f'templates = "{root / "templates"}"')
        .replace('fonts = "fonts"', f'fonts = "{root / "fonts"}"'),
        encoding="utf-8")
    return cities


def target_dir() -> pathlib.Path:
    return pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))


def make_generated(dest: pathlib.Path, cities: int) -> int:
    """The generated national edition of `cities` cities, written by the example. The example is
    built in the dev profile whatever the binary's: an example links the dev-dependencies, whose
    features would rebuild the whole release dependency tree, and writing a few hundred files is
    not what is timed."""
    exe = target_dir() / "debug" / "examples" / "national_edition"
    subprocess.run([str(exe), str(cities), str(dest), str(ROOT)], check=True, stdout=subprocess.DEVNULL)
    return len(list((dest / "data" / "2025").glob("*.toml")))


def run_once(binary: str, cwd: pathlib.Path, standard: str):
    """One cold build: the layout cache an earlier run left is removed first (benches/watch.py
    --build measures the build that takes from it)."""
    shutil.rmtree(cwd / "dist" / ".yearbook-cache", ignore_errors=True)
    start = time.perf_counter()
    proc = subprocess.Popen([binary, "build", "--pdf-standard", standard], cwd=cwd,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"build failed in {cwd}:\n{proc.stderr.read().decode()}")
    # ru_maxrss is KiB on Linux; CPU-seconds of both cores, user and system
    return elapsed, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


# Our `--pdf-standard` values as the independent Typst names the standards they claim.
STANDARDS = {"a-2b": ["a-2b"], "a-3b-ua": ["a-3b", "ua-1"]}


def typst_once(dest: pathlib.Path, standard: str):
    """The independent Typst on our kept source, in a fresh process (its own fonts load included)."""
    src = dest / "typst-src"
    script = (
        "import typst; typst.compile("
        f"{str(src / 'main.typ')!r}, output={str(dest / 'typst.pdf')!r}, root={str(src)!r}, "
        f"font_paths=[{str(ROOT / 'fonts')!r}], ignore_system_fonts=True, "
        "sys_inputs={'lang': 'bilingual'}"
        + ("" if standard == "plain" else f", pdf_standards={STANDARDS[standard]!r}")
        # Tagged only where ours is (the archive edition): an untagged PDF is the cheaper one.
        + f", pdf_tags={standard == 'a-3b-ua'}"
        + ")"
    )
    start = time.perf_counter()
    proc = subprocess.Popen(["python3", "-c", script], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"typst failed:\n{proc.stderr.read().decode()}")
    return elapsed, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def keep_source(binary: str, dest: pathlib.Path, standard: str):
    """Our generated source beside a copy of the templates, as the independent Typst needs it."""
    subprocess.run([binary, "build", "-q", "--keep-typ", "--pdf-standard", standard], cwd=dest,
                   stdout=subprocess.DEVNULL, check=True)
    src = dest / "typst-src"
    shutil.copytree(ROOT / "templates", src)
    typ = next((dest / "dist" / "2025").glob("*.typ"))
    shutil.copy(typ, src / "main.typ")


def pages(pdf: pathlib.Path) -> str:
    try:
        out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
        return re.search(r"^Pages:\s+(\d+)", out, re.M).group(1)
    except (OSError, subprocess.CalledProcessError, AttributeError):
        return "?"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", default=None, help="copies of the shipped cities, e.g. 1,10,50 (the default without --generated)")
    ap.add_argument("--generated", default="", help="generated national editions of these many cities, e.g. 300")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--profile", default="release")
    ap.add_argument("--standard", default="a-2b")
    ap.add_argument("--data", default=str(ROOT / "data"), help="data folder to multiply")
    ap.add_argument("--no-typst", action="store_true", help="skip the independent Typst")
    a = ap.parse_args()
    copies = [int(c) for c in (a.copies or ("" if a.generated else "1,10,50")).split(",") if c]
    generated = [int(c) for c in a.generated.split(",") if c]
    flag = ["--release"] if a.profile == "release" else []
    subprocess.run(["cargo", "build", "-q", *flag, "--bin", "yearbook"], cwd=ROOT, check=True)
    if generated:
        subprocess.run(["cargo", "build", "-q", "--example", "national_edition"], cwd=ROOT, check=True)
    profile_dir = "release" if a.profile == "release" else "debug"
    binary = str(target_dir() / profile_dir / "yearbook")
    print(f"profile={a.profile} standard={a.standard} runs={a.runs} (median)")
    print(f"{'edition':>14} {'cities':>7} {'pages':>6} {'seconds':>8} {'CPU s':>6} {'peak MiB':>9} {'PDF MiB':>8} "
          f"{'typst s':>8} {'CPU s':>6} {'typst MiB':>10} {'ratio':>6}")
    with tempfile.TemporaryDirectory() as tmp:
        editions = []
        for kind, sizes in (("copies", copies), ("generated", generated)):
            for size in sizes:
                dest = pathlib.Path(tmp) / f"{kind}-{size}"
                dest.mkdir()
                if kind == "copies":
                    cities = make_edition(dest, size, pathlib.Path(a.data))
                else:
                    cities = make_generated(dest, size)
                if not a.no_typst:
                    keep_source(binary, dest, a.standard)
                editions.append({"label": f"{kind} {size}", "dest": dest, "cities": cities, "ours": [], "theirs": []})
        # Round by round, every edition in turn: a drift of the machine's speed falls on all.
        for _ in range(a.runs):
            for e in editions:
                e["ours"].append(run_once(binary, e["dest"], a.standard))
                if not a.no_typst:
                    e["theirs"].append(typst_once(e["dest"], a.standard))
        for e in editions:
            ours, theirs, dest = e["ours"], e["theirs"], e["dest"]
            pdf = next((dest / "dist" / "2025").glob("yearbook-*.pdf"))
            e["pages"] = pages(pdf)
            e["mem"] = statistics.median(r[1] for r in ours)
            secs = statistics.median(r[0] for r in ours)
            cpu = statistics.median(r[2] for r in ours)
            line = (f"{e['label']:>14} {e['cities']:>7} {e['pages']:>6} {secs:>8.2f} {cpu:>6.1f} {e['mem']:>9.0f} "
                    f"{pdf.stat().st_size / 2**20:>8.2f}")
            if theirs:
                ratio = statistics.median(o[0] / t[0] for o, t in zip(ours, theirs))
                line += (f" {statistics.median(t[0] for t in theirs):>8.2f} {statistics.median(t[2] for t in theirs):>6.1f}"
                         f" {statistics.median(t[1] for t in theirs):>10.0f} {ratio:>6.2f}")
            print(line)
        # The generated edition against the copied one of the same size.
        for g in (e for e in editions if e["label"].startswith("generated")):
            for c in (e for e in editions if e["label"].startswith("copies") and e["cities"] == g["cities"]):
                time_ratio = statistics.median(x[0] / y[0] for x, y in zip(g["ours"], c["ours"]))
                page_ratio = (f"{int(g['pages']) / int(c['pages']):.2f}"
                              if g["pages"].isdigit() and c["pages"].isdigit() else "?")
                print(f"{g['label']} / {c['label']}: time {time_ratio:.2f} (pair by pair), "
                      f"peak memory {g['mem'] / c['mem']:.2f}, pages {page_ratio}")


if __name__ == "__main__":
    main()
