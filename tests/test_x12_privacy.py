"""No patient data in the X12 readers' messages.

A quarantine message is logged and stored in the warehouse (quarantine.message), where patient
data must never be: names are not stored at all, member ids only masked, patient ids only
pseudonymised. A garbled segment is often a patient's NM1, DMG, N3 or REF with one byte changed
(`NM1*QC` -> `NM!*QC`), so the messages name the segment's position and at most its id, never its
elements. The same kinds of damage must quarantine the transaction in the 835, the 837 and the
277CA alike (an 837's `NM1 IL*...` was read as an NM1 of entity '1': the member id was lost
without a word)."""
from __future__ import annotations

import logging
import re

import pytest

from etl import x12
from etl.x12.tokenizer import describe_garbage
from test_x12_support import FIXTURES, read

# fake patient data, unlike anything in the fixtures
LAST, FIRST, MEMBER, DOB, STREET = "ZQXLASTNAME", "ZQXFIRST", "ZQX99887766", "18871231", "742 ZQXEVERGREEN"
SECRETS = (LAST, FIRST, MEMBER, DOB, "ZQX", "EVERGREEN", "99887766")

# (fixture, the segment replaced: its start, what the reader reads from it)
FILES = {
    "835": ("835_era1.x12", "NM1*QC*"),
    "837": ("837p_batch1.x12", "NM1*IL*"),
    "277": ("277ca_rejection.x12", "NM1*QC*"),
}

# ways a patient segment is garbled in files: (name, segment), entity = QC or IL
GARBLED = {
    "id_punctuation": "NM!*{e}*1*{last}*{first}****MI*{member}",
    "space_for_separator": "NM1 {e}*1*{last}*{first}****MI*{member}",
    "other_separator": "NM1|{e}|1|{last}|{first}||||MI|{member}",
    "id_glued_to_element": "NM1{e}*1*{last}*{first}****MI*{member}",
    "lower_case_id": "nm1*{e}*1*{last}*{first}****MI*{member}",
    "no_id": "*{e}*1*{last}*{first}****MI*{member}",
    "split_segment": "{last}*{first}****MI*{member}",            # a stray terminator cut an NM1 in two
    "name_first": "{last} {first} {member}",
    "dmg": "DM!*D8*{dob}*F",
    "address": "N3 {street}",
    "address_glued": "N3{street}",
    "ref": "REF 1W*{member}",
    "control_character": "NM1*{e}*1*{last}\x01*{first}****MI*{member}",
}


def _spoil(kind: str, garbled: str) -> tuple[bytes, int]:
    """The fixture of `kind` with its first patient segment replaced by `garbled` (same number of
    segments, so SE01 still holds), and the position of that segment (ISA = 1)."""
    name, start = FILES[kind]
    text = (FIXTURES / name).read_text()
    at = text.index(start)
    end = text.index("~", at)
    entity = start.split("*")[1]
    seg = garbled.format(e=entity, last=LAST, first=FIRST, member=MEMBER, dob=DOB, street=STREET)
    return (text[:at] + seg + text[end:]).encode(), text[:at].count("~") + 1


def _messages(batches, caplog) -> list[str]:
    """Every message the read produced: the batches' errors and what was logged."""
    return [b.error for b in batches if b.error] + [r.getMessage() for r in caplog.records]


@pytest.mark.parametrize("kind", sorted(FILES))
@pytest.mark.parametrize("how", sorted(GARBLED))
def test_a_garbled_patient_segment_is_quarantined_without_its_values(kind, how, caplog):
    data, pos = _spoil(kind, GARBLED[how])
    assert data.count(MEMBER.encode()) == 1 or how in ("dmg", "address", "address_glued")
    with caplog.at_level(logging.DEBUG, logger="etl.x12"):
        batches = read(f"spoilt.{kind}", data=data)
    (b,) = batches
    assert b.error is not None and b.frames == {}, (how, b.extras)      # quarantined, not silently read
    assert f"segment {pos}: " in b.error, b.error                        # names the segment's position
    assert ("not an X12 segment" in b.error if how != "control_character"
            else "binary data or control characters" in b.error), b.error
    for text in _messages(batches, caplog):
        for secret in SECRETS:
            assert secret not in text, (how, text)


@pytest.mark.parametrize("kind", sorted(FILES))
def test_the_message_names_at_most_the_segment_id(kind):
    data, pos = _spoil(kind, GARBLED["id_punctuation"])
    (b,) = read(f"spoilt.{kind}", data=data)
    assert b.error.endswith(f"segment {pos}: not an X12 segment: its segment id 'NM!' is not 2-3 upper-case "
                            "letters and digits"), b.error
    data, pos = _spoil(kind, GARBLED["space_for_separator"])
    (b,) = read(f"spoilt.{kind}", data=data)
    assert b.error.endswith(f"segment {pos}: not an X12 segment: it starts with 'NM1' followed by ' ' instead "
                            "of the element separator '*'"), b.error


def test_837_member_id_is_not_lost_silently():
    """The audit's case: `NM1*IL` written `NM1 IL` in an 837 loaded with exit 0, no member id and
    another patient pseudonym; now the transaction is quarantined, as the same damage in an 835 is."""
    (clean,) = read(FIXTURES / "837p_batch1.x12")
    assert clean.error is None and clean.frames["claims"]["member_id"][0] == "M123456789"
    text = (FIXTURES / "837p_batch1.x12").read_text()
    spoilt = text.replace("NM1*IL*1*DOE*JANE****MI*M123456789~", "NM1 IL*1*DOE*JANE****MI*M123456789~", 1)
    assert spoilt != text
    (b,) = read("spoilt.837", data=spoilt.encode())
    assert b.frames == {} and b.rows_read == clean.rows_read
    assert re.search(r"segment 16: not an X12 segment: it starts with 'NM1' followed by ' '", b.error), b.error
    assert "DOE" not in b.error and "M123456789" not in b.error and "JANE" not in b.error


@pytest.mark.parametrize("kind", sorted(FILES))
def test_several_garbled_segments_are_counted_not_quoted(kind):
    name, start = FILES[kind]
    data, pos = _spoil(kind, GARBLED["id_punctuation"])
    data = data.replace(b"DTP*", b"DT!*" + FIRST.encode() + b"*", 1) if b"DTP*" in data else data
    (b,) = read(f"spoilt.{kind}", data=data)
    assert "more)" in b.error or b"DT!*" not in data
    assert FIRST not in b.error and LAST not in b.error


@pytest.mark.parametrize("kind, segment", [("837", "PER*"), ("277", "QTY*"), ("835", "N3*")])
def test_a_well_formed_unknown_segment_is_still_skipped(kind, segment):
    """docs/x12.md: only a segment id that is not 2-3 upper-case letters and digits is garbage; a
    well-formed id the reader has no use for is skipped, as before."""
    name, _ = FILES[kind]
    text = (FIXTURES / name).read_text()
    (clean,) = read(FIXTURES / name)
    spoilt = text.replace(segment, "ZZ9*", 1)
    assert spoilt != text
    (b,) = read(f"x.{kind}", data=spoilt.encode())
    assert b.error is None and b.extras == clean.extras
    def rows(batch):       # remit_claim_id starts with the file's hash, which the edit changes
        return {k: f.drop("_row", "remit_claim_id", strict=False).rows() for k, f in batch.frames.items()}

    assert rows(b) == rows(clean)


@pytest.mark.parametrize("raw, said", [
    ("NM!*QC*1*FUDD*ELMER", "its segment id 'NM!'"),
    ("NM1 QC*1*FUDD*ELMER", "it starts with 'NM1' followed by ' '"),
    ("REF56R*444444", "it starts with 'REF' followed by a digit"),
    ("N3\x01742 EVERGREEN", "it starts with 'N3' followed by a control character"),
    ("ELMER*S***MI*1333333", "it does not start with a segment id"),     # a cut NM1: not 'ELM'
    ("PEREZ*JOSE", "it does not start with a segment id"),               # PER + a letter: a name, not PER
    ("Li*JOSE", "it does not start with a segment id"),
    ("FUDD ELMER", "it does not start with a segment id"),
    ("", "it does not start with a segment id"),
])
def test_describe_garbage_names_an_id_never_a_value(raw, said):
    text = describe_garbage(raw, "*")
    assert text.startswith(said), text
    for value in ("FUDD", "ELMER", "1333333", "444444", "EVERGREEN", "PEREZ", "EREZ", "JOSE", "ELM", "Li"):
        assert value not in text, text


def test_a_file_that_is_not_x12_is_not_quoted():
    (b,) = read("patients.x12", data=b"ZQXLASTNAME,ZQXFIRST,18871231,ZQX99887766\n")
    assert b.unit == "file" and "not an X12 file" in b.error
    for secret in SECRETS:
        assert secret not in b.error, b.error


def test_a_reader_failure_does_not_quote_the_exception(monkeypatch, caplog):
    """An exception's text may quote a value of the file (int('ZQXLASTNAME')): the quarantine message
    has its type only (the log keeps the traceback for whoever fixes the reader)."""
    def boom(tx, ctx):
        int(LAST)

    monkeypatch.setitem(x12.READERS, "837", boom)
    with caplog.at_level(logging.CRITICAL, logger="etl.x12"):
        (b,) = read(FIXTURES / "837p_batch1.x12")
    assert "could not be read (ValueError; details in the log)" in b.error
    assert LAST not in b.error
