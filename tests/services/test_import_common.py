"""The shared import machinery, on real files: decoding with locations, CSV records and their
lines, value parsing, batching."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from deskui.errors import ValidationError
from deskui.services.importers.common import (
    Rejects, TextLines, batches, cell_text, csv_records, open_source,
)
from deskui.services.importers.values import DateParser, parse_bool, parse_level, parse_priority, slug


def lines_of(path: Path, **kw) -> TextLines:
    stream, name, _ = open_source(path)
    return TextLines(stream, name, **kw)


def test_bom_is_dropped_and_crlf_records_keep_their_lines(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(b'\xef\xbb\xbfnumber,text\r\nA1,"two\r\nlines"\r\n\r\nA2,plain\r\n')
    records = list(csv_records(lines_of(path)))
    assert records == [(1, 1, ["number", "text"]), (2, 3, ["A1", "two\r\nlines"]), (5, 5, ["A2", "plain"])]


def test_a_bad_byte_is_reported_with_line_and_column(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(b"number,name\nA1,ok\nA2,Zo\xeb\n")
    with pytest.raises(ValidationError, match=r"a.csv:3:6: not valid utf-8 \(byte 0xeb\)"):
        list(csv_records(lines_of(path)))


def test_skip_bad_replaces_the_byte_and_remembers_the_line(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(b"number,name\nA1,Zo\xeb\nA2,ok\n")
    lines = lines_of(path, skip_bad=True)
    records = list(csv_records(lines))
    assert records[1][2] == ["A1", "Zo\ufffd"]
    assert "line 2 column 6" in lines.bad_between(2, 2)
    assert lines.bad_between(3, 3) is None


def test_utf16_is_refused_with_advice(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes("number\nA1\n".encode("utf-16"))
    with pytest.raises(ValidationError, match=r"a.csv:1:1: the file is UTF-16.*save it as UTF-8"):
        list(csv_records(lines_of(path)))


def test_other_encodings_on_request(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes("name\nZoë\n".encode("cp1252"))
    assert list(csv_records(lines_of(path, encoding="cp1252")))[1][2] == ["Zoë"]
    with pytest.raises(ValidationError, match="--encoding: 'klingon' is not a known encoding"):
        lines_of(path, encoding="klingon")


def test_unterminated_quote_is_malformed_csv(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text('a,b\n1,"open\n')
    with pytest.raises(ValidationError, match=r"a.csv:2: malformed CSV"):
        list(csv_records(lines_of(path)))


def test_missing_file():
    with pytest.raises(ValidationError, match="nope.csv: file not found"):
        open_source(Path("/nonexistent/nope.csv"))


@pytest.mark.parametrize("text, dayfirst, expected", [
    ("29/2/2016 01:16", True, datetime(2016, 2, 29, 1, 16)),
    ("2/29/2016 1:16 PM", False, datetime(2016, 2, 29, 13, 16)),
    ("12/01/16 12:05 AM", False, datetime(2016, 12, 1, 0, 5)),
    ("01.03.2016 07:00:09", True, datetime(2016, 3, 1, 7, 0, 9)),
    ("2016-02-29", False, datetime(2016, 2, 29)),
    ("2016-02-29T13:05:00.250Z", False, datetime(2016, 2, 29, 13, 5, 0, 250000)),
    ("2016-02-29 13:05:00-05:00", True, datetime(2016, 2, 29, 18, 5)),
])
def test_dates(text, dayfirst, expected):
    assert DateParser(dayfirst=dayfirst)(text) == expected


def test_dates_in_a_zone_and_extra_formats():
    london = DateParser(tz="Europe/London", formats=("%d/%b/%y %I:%M %p",))
    assert london("2016-07-01 09:00") == datetime(2016, 7, 1, 8, 0)
    assert london("16/Nov/26 9:42 AM") == datetime(2026, 11, 16, 9, 42)


@pytest.mark.parametrize("text", ["31/31/2016", "2016-13-01", "yesterday", "29/2/2015 10:00", "13:00 PM 1/1/2016"])
def test_bad_dates_say_what_was_expected(text):
    with pytest.raises(ValueError, match="date"):
        DateParser(dayfirst=True)(text)


def test_an_unknown_zone_is_a_clear_error():
    with pytest.raises(ValidationError, match="--tz: 'Mars/Olympus' is not a time zone"):
        DateParser(tz="Mars/Olympus")


def test_servicenow_style_values():
    assert [parse_level(v) for v in ("1 - High", "2 - Medium", "3 - Low", "low")] == ["high", "medium", "low", "low"]
    assert [parse_priority(v) for v in ("1 - Critical", "4 - Low", "5 - Planning", "P2", "moderate")] == [1, 4, 4, 2, 3]
    assert parse_bool("true") is True and parse_bool("FALSE") is False
    for bad, parse in (("9 - Galactic", parse_level), ("urgent", parse_priority), ("maybe", parse_bool)):
        with pytest.raises(ValueError):
            parse(bad)
    assert slug("Zoë O'Brien") == "zoe.o.brien"


def test_cells_are_sanitised():
    assert cell_text("  plain  ") == "plain"
    assert cell_text("a\x1b[31mred\x1b[0m\nline") == "ared line"
    assert cell_text("a\r\nb", single_line=False) == "a\nb"


def test_batches_keep_a_numbers_rows_together_up_to_a_bound():
    rows = ["A"] * 3 + ["B"] * 2 + ["C"] * 9
    cut = list(batches(rows, key=lambda r: r, size=2))
    assert cut == [["A", "A", "A"], ["B", "B"], ["C"] * 8, ["C"]]


def test_rejects_file_only_when_needed(tmp_path):
    quiet = Rejects(tmp_path / "none.csv", ["a"])
    quiet.close()
    assert not (tmp_path / "none.csv").exists()
    rejects = Rejects(tmp_path / "r.csv", ["a", "b"])
    rejects.write(7, ["1", "x,y"], "f.csv:7:2: b: bad")
    rejects.close()
    assert (tmp_path / "r.csv").read_bytes() == b'a,b,_line,_error\r\n1,"x,y",7,f.csv:7:2: b: bad\r\n'
