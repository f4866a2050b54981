#!/usr/bin/env python3
"""Parses every page of a web edition with html5lib in strict mode (any parse error fails) and
writes the tables it finds as JSON, for the test that compares them with the workbook.

    html_check.py SITE_DIR OUT.json

Each table: {page, id, columns: [data-key...], bands: [{heading, rows: [[cell text...]]}]}, the
text as a sighted reader sees it, without the screen-reader texts, marks and note numbers.
"""
import json
import pathlib
import sys

import html5lib

SKIP_CLASSES = {"vh", "yr"}


def visible(el):
    cls = set((el.get("class") or "").split())
    if cls & SKIP_CLASSES or el.tag in ("abbr", "sup"):
        return (el.tail or "")
    out = el.text or ""
    for child in el:
        out += visible(child)
    return out + (el.tail or "")


def text_of(el):
    return " ".join(visible(el).replace("\n", " ").split()) if el is not None else ""


def cell_text(el):
    tail = el.tail
    el.tail = None
    t = visible(el)
    el.tail = tail
    return " ".join(t.split())


def main():
    site, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    tables = []
    pages = sorted(site.glob("*.html"))
    if not pages:
        sys.exit(f"no pages in {site}")
    for page in pages:
        parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
        try:
            doc = parser.parse(page.read_bytes())
        except html5lib.html5parser.ParseError as e:
            sys.exit(f"{page.name}: not valid HTML: {e} (errors: {parser.errors[:3]})")
        for section in doc.iter("section"):
            table = section.find(".//table")
            if table is None or "table" not in (section.get("class") or ""):
                continue
            columns = [th.get("data-key") for th in table.find("thead").iter("th")]
            bands = []
            for body in table.findall("tbody"):
                band = {"heading": None, "rows": []}
                for tr in body.findall("tr"):
                    if "band" in (tr.get("class") or ""):
                        band["heading"] = cell_text(tr.find("th"))
                        continue
                    band["rows"].append([cell_text(c) for c in tr if c.tag in ("th", "td")])
                bands.append(band)
            tables.append({"page": page.name, "id": section.get("id"), "columns": columns, "bands": bands})
    out.write_text(json.dumps(tables, ensure_ascii=False), encoding="utf-8")
    print(f"{len(pages)} pages parsed without errors, {len(tables)} tables")


if __name__ == "__main__":
    main()
