"""Site configuration: filename rules, TOML loading, and where sample fields come from."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from symcat.ingest.normalize import normalize
from symcat.ingest.read import read_file
from symcat.ingest.readers.ibw import read_ibw
from symcat.ingest.records import ScanRecord
from symcat.ingest.site import FilenameRule, SiteConfig, SiteConfigError

CYPHER = "pfm/cypher_pfm_P0089OP0027.ibw"


def test_rule_extracts_named_groups() -> None:
    rule = FilenameRule(r"/(?P<project>[^/]+)/(?P<operator>[a-z]+)_(?P<sample>S\d+)_")
    found = rule.extract("/data/ferro/alice_S12_0001.ibw")
    assert found == {"project": "ferro", "operator": "alice", "sample": "S12"}
    assert rule.extract("/data/other.ibw") == {}


def test_bad_regex_is_named() -> None:
    with pytest.raises(SiteConfigError, match=r"filename rule '\(\?P<sample>': invalid regex"):
        FilenameRule("(?P<sample>")


def test_unknown_group_is_named() -> None:
    with pytest.raises(SiteConfigError, match=r"unknown group name 'batch' \(allowed: sample"):
        FilenameRule(r"(?P<batch>\d+)")


def test_rule_needs_a_group() -> None:
    with pytest.raises(SiteConfigError, match="has no named group"):
        FilenameRule(r"S\d+")


def test_first_rule_wins() -> None:
    site = SiteConfig(filename_rules=(FilenameRule(r"(?P<sample>S\d+)"),
                                      FilenameRule(r"(?P<sample>X\d+)_(?P<material>BFO)")))
    assert site.sample_fields("/d/X1_BFO_S7.ibw") == {"sample": "S7", "material": "BFO"}


def test_bad_timezone() -> None:
    with pytest.raises(SiteConfigError, match="not an IANA time zone"):
        SiteConfig(timezone="Mars/Olympus")


def test_from_toml(tmp_path: Path) -> None:
    path = tmp_path / "site.toml"
    path.write_text(
        'site = "lab-a"\ninstrument = "cypher-pc-1"\ntimezone = "Europe/Berlin"\n'
        "[[filename_rules]]\npattern = '(?P<operator>[a-z]+)_(?P<sample>S\\d+)'\n"
    )
    site = SiteConfig.from_toml(path)
    assert (site.site, site.instrument, site.timezone) == ("lab-a", "cypher-pc-1", "Europe/Berlin")
    assert [r.pattern for r in site.filename_rules] == [r"(?P<operator>[a-z]+)_(?P<sample>S\d+)"]


@pytest.mark.parametrize(
    ("text", "message"),
    [("sites = 'x'\n", "unknown key 'sites'"),
     ("site = 3\n", "'site' must be a string"),
     ("[[filename_rules]]\npattern = '(?P<who>x)'\n", "unknown group name 'who'"),
     ("[[filename_rules]]\nregex = 'x'\n", r"filename_rules\[0\] needs a string 'pattern'"),
     ("site = \n", "not valid TOML")],
)
def test_from_toml_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "site.toml"
    path.write_text(text)
    with pytest.raises(SiteConfigError, match=message) as info:
        SiteConfig.from_toml(path)
    assert str(path) in str(info.value)


def test_missing_toml(tmp_path: Path) -> None:
    with pytest.raises(SiteConfigError, match="cannot read site config"):
        SiteConfig.from_toml(tmp_path / "nope.toml")


def test_site_fields_reach_the_document(fixtures_dir: Path) -> None:
    data = (fixtures_dir / CYPHER).read_bytes()
    site = SiteConfig(site="lab-a", instrument="cypher-pc-1", timezone="America/New_York",
                      filename_rules=(FilenameRule(
                          r"/(?P<project>[^/]+)/(?P<operator>[a-z]+)_(?P<sample>[A-Z]\w+)\.ibw$"),))
    record = read_file("/data/ferro/alice_P0089OP0027.ibw", site, data=data)
    assert isinstance(record, ScanRecord)
    doc = record.document
    assert (doc["site"], doc["instrument"]) == ("lab-a", "cypher-pc-1")
    assert doc["sample"] == {
        "name": "P0089OP0027", "material": None, "operator": "alice", "project": "ferro",
        "sources": {"name": "filename_rule", "operator": "filename_rule",
                    "project": "filename_rule"},
    }
    # 7:09:19 PM on 2020-11-25 in New York (EST, UTC-5).
    assert doc["acquired_at"] == "2020-11-26T00:09:19.381Z"
    assert doc["acquired_at_timezone"] == "America/New_York"


def test_image_note_fields_and_precedence(fixtures_dir: Path) -> None:
    raw = read_ibw((fixtures_dir / CYPHER).read_bytes())
    assert b"ImageNote:IDS at 350 kHz with correct sensitivity" in raw.note
    raw = dataclasses.replace(raw, note=raw.note.replace(
        b"ImageNote:IDS at 350 kHz with correct sensitivity",
        b"ImageNote:Sample: BFO-12; Material: BiFeO3; operator = bob"))
    site = SiteConfig(filename_rules=(FilenameRule(r"/(?P<sample>S\d+)_"),))
    doc, _ = normalize(raw, source_path="/data/S7_scan.ibw", file_name="S7_scan.ibw",
                       file_sha256="0" * 64, file_size_bytes=1, site=site)
    assert doc["sample"] == {
        "name": "S7", "material": "BiFeO3", "operator": "bob", "project": None,
        "sources": {"name": "filename_rule", "material": "image_note", "operator": "image_note"},
    }


def test_unknown_is_null(fixtures_dir: Path, read_fixture) -> None:
    sample = read_fixture(CYPHER).document["sample"]
    assert sample == {"name": None, "material": None, "operator": None, "project": None,
                      "sources": {}}
