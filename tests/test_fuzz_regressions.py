"""Inputs the hostile-input fuzzers (tests/test_fuzz_tabular.py, tests/test_fuzz_x12.py) found, kept as
regression tests with the minimized input.

1. `make fuzz FUZZ_EXAMPLES=600` (2026-11-23): the public tigershark 4010 835 sample with its ST..SE
   block repeated ~3,000 times (one file of 3,000 small transaction sets, ~4 MB) took more than the
   30 s per-example limit in the reader. Not a hang: the 835 reader costs ~10 ms per transaction set
   (it runs ~130 polars queries per transaction), so the time is linear in the number of
   transactions. Pinned here: linear (twice the transactions take about twice the time, never
   quadratic), every transaction comes back as its own batch (here each is quarantined with its
   reason: the repeated block keeps its original BPR/GE totals), nothing raised.
2. The CI run of 2026-12-06 (tests/test_fuzz_x12.py, test_reader_accounts_for_every_transaction):
   837i_hospital with byte 0xB9 in place of a date digit (BHT04 "\xb90240120"). Decoded, that is
   '¹', which str.isdigit() accepts and int() refuses, so clean_date raised inside the 837 reader
   and the transaction was quarantined as "could not be read (ValueError ...)". The X12 code now
   asks for ASCII digits (tokenizer.digits) wherever it then calls int(), and for NPIs.
3. A fresh-clone `make test` of 2026-12-07 (test_reader_accounts_for_every_transaction): 277ca_rejection
   with its ':' separators removed. ISA16 (the component separator) then read as '~' and the segment
   terminator as the newline, so every segment kept a trailing '~' ('HL*4*3*PT~' is level 'PT~'): the
   277CA found no claim and loaded nothing, with no reason, losing its rejection. A 277CA with no claim
   is now quarantined with its reason."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from etl.mapping import Mapping
from etl.x12 import read_x12
from etl.x12.common import clean_date, clean_npi
from etl.x12.tokenizer import digits

SAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "x12-samples"
TIGERSHARK = SAMPLES / "835" / "tigershark__4010_835-example.txt"


def repeated_transactions(n: int) -> bytes:
    seed = TIGERSHARK.read_bytes()
    a = seed.index(b"ST|835|")
    b = seed.index(b"~", seed.index(b"\n~SE|", a) + 1) + 1       # after the SE segment's terminator
    return seed[:a] + seed[a:b] * n + seed[b:]


def timed_read(data: bytes):
    t0 = time.perf_counter()
    out = list(read_x12("repeated.835", data=data, mapping=Mapping(), lenient=""))
    return out, time.perf_counter() - t0


@pytest.mark.skipif(not TIGERSHARK.exists(), reason="public samples not present")
def test_many_small_transactions_cost_linear_time():
    small, t_small = timed_read(repeated_transactions(100))
    large, t_large = timed_read(repeated_transactions(200))
    assert len(small) == 100 and len(large) == 200
    for b in large:
        assert (b.error is None) != (b.frames == {}) and b.rows_read >= 1
        assert "could not be read (" not in (b.error or "")
    assert t_large < 30
    assert t_large < 4 * t_small + 1, (t_small, t_large)         # linear, with room for a busy machine


FIXTURE_837I = Path(__file__).resolve().parent / "fixtures" / "x12" / "837i_hospital.x12"


def test_a_non_ascii_digit_in_an_837_date_is_read_not_raised():
    data = FIXTURE_837I.read_bytes()
    bad = data.replace(b"*20240120*1200*CH~", b"*\xb90240120*1200*CH~", 1)
    assert bad != data
    batches = list(read_x12("837i_hospital.835", data=bad, mapping=Mapping()))
    assert batches
    for b in batches:
        assert b.error is None or "could not be read (" not in b.error, b.error
    # the claim still loads: only BHT04 (the batch's creation date) is odd
    assert sum(f.height for b in batches for k, f in b.frames.items() if k == "claims") == 1


def test_only_ascii_digits_count_as_digits():
    assert digits("20240120") and not digits("") and not digits("\u00b90240120") and not digits("\u0663")
    assert clean_date("\u00b90240120") == "\u00b90240120"        # left as it is, for validation to reject
    assert clean_date("20240120") == "2024-01-20"
    assert clean_npi("\u00b9234567893") is None and clean_npi("1234567893") == "1234567893"


def test_a_277ca_in_which_no_claim_is_found_is_quarantined_with_its_reason():
    data = (FIXTURE_837I.parent / "277ca_rejection.x12").read_bytes()
    bad = data.replace(b":", b"")
    (b,) = list(read_x12("277ca_rejection.835", data=bad, mapping=Mapping()))
    assert b.frames == {} and "no claim found in this 277CA (no TRN*2 under a patient HL, HL03 = PT); check the " \
        "ISA's separators (component separator '~')" in b.error
    # the file as sent: its rejection is read
    (b,) = list(read_x12("277ca_rejection.x12", data=data, mapping=Mapping()))
    assert b.error is None and b.frames["rejections"].height == 1
