"""Fills a collection workbook as a department would, with openpyxl (the tests' stand-in for a
clerk in Excel): `python3 fill_workbook.py IN.xlsx OUT.xlsx EDITS.json`.

EDITS is a list of operations:
  {"op": "set", "sheet": S, "city": C, "id": I, "column": "本年数值", "value": V}
      V as given: a string stays text (a number pasted as text), a number is a number.
  {"op": "new", "sheet": S, "values": {"指标名称": ..., ...}}   fill the first blank (green) row
  {"op": "delete_column", "sheet": S, "column": "备注"}         delete a column (openpyxl leaves
      the defined names where they were, as a careless script would)
  {"op": "meta", "key": K, "value": V}                          change the hidden identity
  {"op": "drop_meta"}                                           remove the hidden sheet
  {"op": "swap_rows", "sheet": S, "a": I1, "b": I2}             swap the locked cells of two rows
Rows are found by their city and indicator id, columns by their Chinese header, as a person
reading the sheet would find them.
"""
import json
import sys

import openpyxl

HEADER_ROW = 2


def column_of(ws, header):
    for cell in ws[HEADER_ROW]:
        if cell.value == header:
            return cell.column
    raise SystemExit(f"no column headed {header!r} in {ws.title!r}")


def row_of(ws, city, ident):
    c_city, c_id = column_of(ws, "城市代码"), column_of(ws, "指标代码")
    for row in range(HEADER_ROW + 2, ws.max_row + 1):
        if ws.cell(row, c_city).value == city and ws.cell(row, c_id).value == ident:
            return row
    raise SystemExit(f"no row for {city}/{ident} in {ws.title!r}")


def main():
    src, dst, edits = sys.argv[1], sys.argv[2], json.load(open(sys.argv[3], encoding="utf-8"))
    wb = openpyxl.load_workbook(src)
    for e in edits:
        op = e["op"]
        if op == "set":
            ws = wb[e["sheet"]]
            ws.cell(row_of(ws, e["city"], e["id"]), column_of(ws, e["column"])).value = e["value"]
        elif op == "new":
            ws = wb[e["sheet"]]
            c_id, c_zh = column_of(ws, "指标代码"), column_of(ws, "指标名称")
            row = next(r for r in range(HEADER_ROW + 2, ws.max_row + 1)
                       if ws.cell(r, c_id).value is None and ws.cell(r, c_zh).value is None)
            for header, value in e["values"].items():
                ws.cell(row, column_of(ws, header)).value = value
        elif op == "delete_column":
            ws = wb[e["sheet"]]
            ws.delete_cols(column_of(ws, e["column"]))
        elif op == "meta":
            ws = wb["_meta"]
            for row in ws.iter_rows():
                if row[0].value == e["key"]:
                    row[1].value = e["value"]
        elif op == "drop_meta":
            del wb["_meta"]
        elif op == "swap_rows":
            ws = wb[e["sheet"]]
            a, b = e["a"], e["b"]
            for col in range(1, 9):
                x, y = ws.cell(a, col), ws.cell(b, col)
                x.value, y.value = y.value, x.value
        else:
            raise SystemExit(f"unknown op {op!r}")
    wb.save(dst)


main()
