"""The root-cause taxonomy: its files are valid, complete, and classify the common codes as worked out by hand."""
from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from warehouse import taxonomy
from warehouse.taxonomy import CATEGORY_KEYS, DEFAULT_STAGE_TEAM, classify

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
REFERENCE = SHARED / "reference"


def _codes(name: str) -> set[str]:
    path = REFERENCE / name
    if not path.exists():
        pytest.skip(f"{path} not available")
    with path.open(newline="") as f:
        return {row["code"].strip() for row in csv.DictReader(f)}


@pytest.fixture(scope="module")
def tables():
    return taxonomy.load_tables()


# ------------------------------------------------------------------ the files

def test_validate_returns_no_problem():
    assert taxonomy.validate() == []


def test_version_is_one_line():
    text = (taxonomy.TAXONOMY_DIR / "VERSION").read_text().strip()
    assert "\n" not in text and taxonomy.version() == text


def test_every_2016_carc_is_present(tables):
    ours = set(tables["carc"]["carc"].to_list())
    assert _codes("carc_codes_2016.csv") - ours == set()


def test_every_2016_rarc_is_present(tables):
    ours = set(tables["rarc"]["rarc"].to_list())
    assert _codes("rarc_codes_2016.csv") - ours == set()


def test_source_column_tells_listed_from_added(tables):
    for kind, ref in (("carc", "carc_codes_2016.csv"), ("rarc", "rarc_codes_2016.csv")):
        listed = _codes(ref)
        for row in tables[kind].iter_rows(named=True):
            expected = "2016_list" if row[kind] in listed else "added"
            assert row["source"] == expected, row
    added_carcs = set(tables["carc"].filter(tables["carc"]["source"] == "added")["carc"].to_list())
    assert {"284", "288", "296", "302", "306", "P30", "P32"} <= added_carcs
    added_rarcs = set(tables["rarc"].filter(tables["rarc"]["source"] == "added")["rarc"].to_list())
    assert {"N822", "N823", "N859"} <= added_rarcs


def test_categories_table_has_the_fixed_keys(tables):
    cats = tables["categories"]
    assert sorted(cats["category"].to_list()) == sorted(CATEGORY_KEYS)
    for row in cats.iter_rows(named=True):
        assert (row["stage"], row["owner_team"]) == DEFAULT_STAGE_TEAM[row["category"]]
        assert row["label"] and len(row["description"]) > 40


def test_every_category_used_is_in_categories_csv(tables):
    known = set(tables["categories"]["category"].to_list())
    assert set(tables["carc"]["category"].to_list()) <= known
    rule_cats = {c for c in tables["rules"]["category"].to_list() if c}
    assert rule_cats <= known


def test_soft_hard_values(tables):
    for row in tables["carc"].iter_rows(named=True):
        assert row["soft_hard"] in ("soft", "hard", "none"), row
        assert (row["category"] == "not_denial") == (row["soft_hard"] == "none"), row
    for row in tables["rules"].iter_rows(named=True):
        assert row["soft_hard"] in ("", "soft", "hard", "none"), row
        if row["category"] == "not_denial":
            assert row["soft_hard"] == "none", row
    # and every possible default classification is consistent
    for code in tables["carc"]["carc"].to_list():
        for group in ("CO", "PR", "OA", "PI"):
            c = classify(group, code)
            assert (c.category == "not_denial") == (c.soft_hard == "none"), (group, code, c)


def test_sub_causes_are_snake_case(tables):
    for sub in tables["rules"]["sub_cause"].to_list():
        assert sub == "" or sub.replace("_", "a").isalnum() and sub == sub.lower(), sub


def test_descriptions_are_short_and_present(tables):
    for kind in ("carc", "rarc"):
        for row in tables[kind].iter_rows(named=True):
            assert row["description"] and len(row["description"]) <= 160, row


# ------------------------------------------------------------------ spot checks worked out by hand

@pytest.mark.parametrize("group,carc,rarc,auth,category,sub,soft_hard", [
    ("CO", "45", None, None, "not_denial", "contractual", "none"),
    ("PR", "1", None, None, "not_denial", "deductible", "none"),
    ("PR", "2", None, None, "not_denial", "coinsurance", "none"),
    ("PR", "3", None, None, "not_denial", "copay", "none"),
    ("OA", "23", None, None, "not_denial", "prior_payer_adjudication", "none"),
    ("CO", "253", None, None, "not_denial", "sequestration", "none"),
    ("CO", "59", None, None, "not_denial", None, "none"),
    ("CO", "197", None, False, "authorization", "none_on_file", "soft"),
    ("CO", "197", None, True, "authorization", "not_matching_service", "soft"),
    ("CO", "197", None, None, "authorization", "none_on_file", "soft"),
    ("CO", "198", None, None, "authorization", "units_exceeded", "soft"),
    ("CO", "284", None, True, "authorization", "not_matching_procedure", "soft"),
    ("CO", "296", None, True, "authorization", "not_matching_provider", "soft"),
    ("CO", "302", None, True, "authorization", "expired", "soft"),
    ("CO", "197", "N351", True, "authorization", "not_matching_dates", "soft"),
    ("CO", "197", "N54", False, "authorization", "not_matching_service", "soft"),
    ("CO", "16", "M62", False, "authorization", "none_on_file", "soft"),
    ("CO", "29", None, None, "timely_filing", None, "hard"),
    ("CO", "18", None, None, "duplicate", None, "hard"),
    ("OA", "18", None, None, "duplicate", None, "hard"),
    ("CO", "50", None, None, "medical_necessity", None, "soft"),
    ("CO", "4", None, None, "coding_modifier", "modifier_missing_invalid", "soft"),
    ("CO", "11", None, None, "coding_modifier", "procedure_diagnosis_mismatch", "soft"),
    ("CO", "97", None, None, "bundling", None, "soft"),
    ("CO", "27", None, None, "eligibility", "coverage_terminated", "soft"),
    ("CO", "26", None, None, "eligibility", "not_eligible_on_dos", "soft"),
    ("CO", "109", None, None, "eligibility", "wrong_payer", "soft"),
    ("CO", "22", None, None, "coordination_of_benefits", None, "soft"),
    ("CO", "16", None, None, "missing_information", None, "soft"),
    ("CO", "16", "MA04", None, "coordination_of_benefits", "primary_eob_missing", "soft"),
    ("CO", "16", "M51", None, "coding_modifier", "procedure_invalid", "soft"),
    ("CO", "96", None, None, "non_covered", None, "hard"),
    ("PR", "96", None, None, "non_covered", "patient_liable", "hard"),
    ("CO", "185", None, None, "credentialing", "rendering_not_eligible", "soft"),
    ("CO", "ZZ9", None, None, "other", "", "soft"),
])
def test_spot_checks(group, carc, rarc, auth, category, sub, soft_hard):
    c = classify(group, carc, rarc, auth)
    assert c.category == category
    assert c.soft_hard == soft_hard
    if sub is not None:
        assert c.sub_cause == sub
    assert (c.stage, c.owner_team) == DEFAULT_STAGE_TEAM[category]


def test_unknown_carc_is_flagged_not_dropped():
    c = classify("CO", "ZZ9")
    assert (c.category, c.soft_hard, c.known) == ("other", "soft", False)
    assert classify("CO", "45").known is True


def test_inputs_are_trimmed_and_case_folded():
    assert classify(" co ", " 197 ", [" n54 "], "TRUE") == classify("CO", "197", "N54", True)


# ------------------------------------------------------------------ the resolution order, on a small taxonomy

@pytest.fixture()
def mini(tmp_path):
    """A copy of the real taxonomy with a hand-made rules.csv, to test resolution in isolation."""
    for name in ("categories.csv", "carc.csv", "rarc.csv", "VERSION"):
        shutil.copy(taxonomy.TAXONOMY_DIR / name, tmp_path / name)

    def write(rows):
        with (tmp_path / "rules.csv").open("w", newline="") as f:
            w = csv.writer(f)
            w.writerow(taxonomy.COLUMNS["rules"])
            w.writerows(rows)
        taxonomy.clear_cache()
        return tmp_path

    yield write
    taxonomy.clear_cache()


def test_no_rule_gives_the_carc_default(mini):
    d = mini([])
    c = classify("CO", "197", None, True, directory=d)
    assert (c.category, c.sub_cause, c.soft_hard) == ("authorization", "", "soft")


def test_more_specific_rule_wins(mini):
    d = mini([
        ["*", "16", "*", "*", "other", "a", "soft", ""],
        ["CO", "16", "*", "*", "coding_modifier", "b", "soft", ""],
        ["CO", "16", "M51", "*", "bundling", "c", "soft", ""],
    ])
    assert classify("PR", "16", directory=d).sub_cause == "a"
    assert classify("CO", "16", directory=d).sub_cause == "b"
    assert classify("CO", "16", "M51", directory=d).sub_cause == "c"


def test_ties_prefer_rarc_then_carc_then_group_then_auth(mini):
    d = mini([
        ["CO", "*", "*", "true", "other", "group_auth", "soft", ""],
        ["CO", "16", "*", "*", "other", "group_carc", "soft", ""],
        ["*", "16", "M51", "*", "other", "carc_rarc", "soft", ""],
        ["*", "16", "*", "true", "other", "carc_auth", "soft", ""],
    ])
    assert classify("CO", "16", "M51", True, directory=d).sub_cause == "carc_rarc"
    assert classify("CO", "16", None, True, directory=d).sub_cause == "group_carc"
    assert classify("CO", "97", None, True, directory=d).sub_cause == "group_auth"
    assert classify("PR", "16", None, True, directory=d).sub_cause == "carc_auth"


def test_several_remarks_take_the_first_rarc_alphabetically(mini):
    d = mini([
        ["*", "16", "N290", "*", "missing_information", "n290", "soft", ""],
        ["*", "16", "M51", "*", "coding_modifier", "m51", "soft", ""],
    ])
    assert classify("CO", "16", ["N290", "M51"], directory=d).sub_cause == "m51"
    assert classify("CO", "16", ["N290", "X1"], directory=d).sub_cause == "n290"


def test_claim_has_auth_unknown_matches_only_wildcards(mini):
    d = mini([["*", "197", "*", "false", "", "none_on_file", "", ""]])
    assert classify("CO", "197", None, None, directory=d).sub_cause == ""
    assert classify("CO", "197", None, False, directory=d).sub_cause == "none_on_file"


def test_empty_rule_fields_keep_the_default_and_not_denial_is_none(mini):
    d = mini([
        ["CO", "45", "*", "*", "", "contractual", "", ""],
        ["PI", "*", "*", "*", "not_denial", "pi", "none", ""],
        ["*", "97", "*", "*", "", "", "hard", ""],
    ])
    c = classify("CO", "45", directory=d)
    assert (c.category, c.sub_cause, c.soft_hard) == ("not_denial", "contractual", "none")
    c = classify("PI", "ZZ9", directory=d)  # wildcard-CARC rules apply to unknown CARCs too
    assert (c.category, c.soft_hard, c.known) == ("not_denial", "none", False)
    c = classify("CO", "97", directory=d)  # category kept, soft_hard replaced
    assert (c.category, c.soft_hard) == ("bundling", "hard")
    assert classify("PI", "97", directory=d).category == "bundling"  # CARC rule beats group rule on a tie


def test_validate_reports_bad_content(mini):
    d = mini([
        ["XX", "16", "*", "*", "nonsense", "Bad Sub", "soft", ""],
        ["*", "NOPE", "*", "*", "other", "", "soft", ""],
        ["*", "16", "NOPE1", "maybe", "other", "x", "", ""],
        ["*", "16", "*", "*", "not_denial", "", "soft", ""],
    ])
    problems = "\n".join(taxonomy.validate(d))
    for needle in ("group_code 'XX'", "unknown category 'nonsense'", "not snake_case", "unknown CARC 'NOPE'",
                   "unknown RARC 'NOPE1'", "claim_has_auth 'maybe'", "must also set soft_hard",
                   "inconsistent"):
        assert needle in problems, needle


def test_validate_reports_duplicates_and_unknown_categories(tmp_path):
    for name in ("categories.csv", "rarc.csv", "rules.csv", "VERSION"):
        shutil.copy(taxonomy.TAXONOMY_DIR / name, tmp_path / name)
    lines = (taxonomy.TAXONOMY_DIR / "carc.csv").read_text().splitlines()
    lines.append(lines[1])  # duplicate of CARC 1
    lines.append("ZZ1,Made-up code,made_up,soft,,,added")
    (tmp_path / "carc.csv").write_text("\n".join(lines) + "\n")
    try:
        problems = "\n".join(taxonomy.validate(tmp_path))
    finally:
        taxonomy.clear_cache()
    assert "duplicate code '1'" in problems
    assert "unknown category 'made_up'" in problems
