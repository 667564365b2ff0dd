"""Note parsing, text decoding, clocks, labels and channel names: the quirks one by one."""

from __future__ import annotations

import pytest

from symcat.ingest import clock
from symcat.ingest.channels import split_name
from symcat.ingest.normalize import number
from symcat.ingest.notes import parse_note
from symcat.ingest.readers.ibw import decode_text, split_labels


def test_cr_only_lines_and_first_colon() -> None:
    note = parse_note("ScanSize: 5e-06\rTime:7:09:19 PM\rSaveImage: C:Users:Asylum User:\r")
    assert note.structured
    assert note.raw == {
        "ScanSize": "5e-06", "Time": "7:09:19 PM", "SaveImage": "C:Users:Asylum User:",
    }


def test_repeated_keys_keep_every_value_and_first_wins() -> None:
    note = parse_note("NapMode:Off\rChannel1DataType: 1\rNapMode: 0\rChannel1DataType: Height\r"
                      "NapMode: Nap")
    assert note.raw["NapMode"] == ["Off", "0", "Nap"]
    assert note.raw["Channel1DataType"] == ["1", "Height"]
    assert note.get("NapMode") == "Off"
    assert note.get("Missing") is None


def test_structured_note_keeps_stray_lines() -> None:
    text = "A: 1\rB: 2\rCypher Temps Start\rC: 3\rD: 4\rE: 5\rCypher Temps End\rF: 6\rG: 7\rH: 8\r"
    note = parse_note(text)
    assert note.structured
    assert note.raw["_unparsed"] == ["Cypher Temps Start", "Cypher Temps End"]


def test_free_text_note_keeps_text_and_pairs() -> None:
    text = ("I 3 37-1 Backward Down\rSPM Image\r\rSample: ScV6Sn6\r"
            "Width = 5e-009 [m], Height = 5e-009 [m]\r"
            "Experiment 'X' (Project 'STM') executed by user '7xj' on 10-Jan-2023 22:53:08\r")
    note = parse_note(text)
    assert not note.structured
    assert note.raw["_text"].startswith("I 3 37-1 Backward Down\nSPM Image")
    assert note.raw["Sample"] == "ScV6Sn6"
    assert note.raw["Width"] == "5e-009 [m], Height = 5e-009 [m]"
    assert not any(key.startswith("Experiment") for key in note.raw)  # prose is not a key


def test_plain_sentence_note() -> None:
    assert parse_note("This is a test.").raw == {"_text": "This is a test."}
    assert parse_note("").raw == {}


def test_windows_1252_and_utf8_text() -> None:
    assert decode_text(b"StartHeadTemp: 32.125 \xb0C") == "StartHeadTemp: 32.125 °C"
    assert decode_text("LaserModule:10x30 µm".encode()) == "LaserModule:10x30 µm"
    assert decode_text(b"a\x00b") == "ab"


@pytest.mark.parametrize(
    ("text", "value"),
    [("5e-06", 5e-06), (" 32.125 °C", 32.125), ("-82.6388671875029", -82.6388671875029),
     ("NaN", None), ("Nan", None), ("inf", None), ("-inf", None), ("None Yet", None),
     ("$Lockin.0.Freq", None), ("", None), (None, None), ("3.8407e+05", 384070.0)],
)
def test_number(text: str | None, value: float | None) -> None:
    assert number(text) == value


@pytest.mark.parametrize(
    ("text", "parts"),
    [("08:30:46", (8, 30, 46, 0)), ("7:09:19 PM", (19, 9, 19, 0)), ("12:05:00 AM", (0, 5, 0, 0)),
     ("12:05 PM", (12, 5, 0, 0)), ("3:28:04 pm", (15, 28, 4, 0)), ("10:47:31.25", (10, 47, 31,
                                                                                   250000)),
     ("25:00:00", None), ("13:00 PM", None), ("noon", None)],
)
def test_time_of_day(text: str, parts: tuple[int, int, int, int] | None) -> None:
    assert clock.parse_time_of_day(text) == parts


def test_igor_seconds_local_time_and_zone() -> None:
    assert clock.from_igor_seconds(3806987446.857, None) == "2024-08-20T08:30:46.857Z"
    # Same wall clock in Berlin (CEST, UTC+2 in August) is two hours earlier in UTC.
    assert clock.from_igor_seconds(3806987446.857, "Europe/Berlin") == "2024-08-20T06:30:46.857Z"
    assert clock.from_igor_seconds(0, None) is None
    assert clock.from_igor_seconds(float("nan"), None) is None
    assert clock.from_igor_seconds(1e30, None) is None


def test_date_time() -> None:
    assert clock.from_date_time("2020-11-25", "7:09:19 PM", None) == "2020-11-25T19:09:19.000Z"
    assert clock.from_date_time("2020-02-30", "10:00:00", None) is None
    assert clock.from_date_time("Nov 25 2020", "10:00:00", None) is None


def test_labels_cut_at_nul() -> None:
    chunks = [b"\x00" * 32, b"Phase1Retrace\x00ce".ljust(32, b"\x00"),
              b"HeightRetrace".ljust(32, b"\x00")]
    assert split_labels(b"".join(chunks), 2) == [b"Phase1Retrace", b"HeightRetrace"]
    # Gwyddion: exactly n labels, no leading slot for the dimension itself.
    assert split_labels(b"Generated 1".ljust(32, b"\x00"), 1) == [b"Generated 1"]
    # Igor stops after the last non-empty label.
    assert split_labels(b"\x00" * 32 + b"Column0".ljust(32, b"\x00"), 5) == [b"Column0"]
    # A long label spans two chunks.
    long = b"L" * 40
    assert split_labels(b"\x00" * 32 + long.ljust(64, b"\x00"), 1) == [long]


@pytest.mark.parametrize(
    ("name", "base", "number_", "nap", "direction"),
    [("HeightRetrace", "height", "", False, "retrace"),
     ("Amplitude1Retrace", "amplitude", "1", False, "retrace"),
     ("UserIn0Trace", "userin", "0", False, "trace"),
     ("NapPhaseRetrace", "phase", "", True, "retrace"),
     ("ZSnsr", "zsnsr", "", False, None),
     ("Generated 1", "generated 1", "", False, None)],
)
def test_split_name(name: str, base: str, number_: str, nap: bool, direction: str | None) -> None:
    parts = split_name(name)
    assert (parts.base, parts.number, parts.nap, parts.direction) == (base, number_, nap, direction)
