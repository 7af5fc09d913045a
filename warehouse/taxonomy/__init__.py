"""The versioned root-cause taxonomy for claim denials: CARC (+ group code, RARC, auth) -> cause.

The taxonomy is data, not code: four CSV files beside this module plus VERSION.

    categories.csv  category,label,stage,owner_team,description        (13 fixed keys)
    carc.csv        carc,description,category,soft_hard,start_date,stop_date,source
    rarc.csv        rarc,description,start_date,stop_date,source
    rules.csv       group_code,carc,rarc,claim_has_auth,category,sub_cause,soft_hard,note

`classify()` is the reference implementation of the resolution order; the warehouse's SQL model
(warehouse/sql/models/03_adjustment.sql) mirrors it and the tests compare both:

1. A rule matches when each of its four keys is `*` or equals the input (group code, CARC, one of
   the adjustment's remark codes, whether the claim carried an authorization number).
2. The most specific matching rule wins: specificity = number of non-`*` keys; ties go to the rule
   whose RARC is specific, then CARC, then group code, then claim_has_auth; a remaining tie (two
   remark rules both matching) goes to the alphabetically first RARC, then CARC, then group code.
3. The winner's category / soft_hard replace the CARC's defaults when not empty; its sub_cause is
   the result's sub_cause (empty when no rule matched).
4. A CARC in no list gets category `other`, soft_hard `soft` and `known=False` (wildcard-CARC rules
   still apply to it). It is counted and listed by the warehouse, never dropped.
5. `not_denial` always has soft_hard `none`; stage and owner team come from the category.

Pure Python + polars: no SQL and no Streamlit here.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

TAXONOMY_DIR = Path(__file__).resolve().parent

CATEGORY_KEYS = (
    "eligibility", "coordination_of_benefits", "authorization", "coding_modifier", "bundling",
    "medical_necessity", "missing_information", "duplicate", "timely_filing", "non_covered",
    "credentialing", "other", "not_denial",
)
STAGES = ("front_end", "back_end", "clinical", "payer", "none")
OWNER_TEAMS = ("front_desk", "authorization", "coding", "billing", "clinical_documentation", "none")
SOFT_HARD = ("soft", "hard", "none")
GROUP_CODES = ("CO", "PR", "OA", "PI", "CR")
SOURCES = ("2016_list", "added")

# The default stage / owner team of each category (categories.csv must agree; validate() checks).
DEFAULT_STAGE_TEAM = {
    "eligibility": ("front_end", "front_desk"),
    "coordination_of_benefits": ("front_end", "front_desk"),
    "authorization": ("front_end", "authorization"),
    "coding_modifier": ("back_end", "coding"),
    "bundling": ("back_end", "coding"),
    "medical_necessity": ("clinical", "clinical_documentation"),
    "missing_information": ("back_end", "billing"),
    "duplicate": ("back_end", "billing"),
    "timely_filing": ("back_end", "billing"),
    "credentialing": ("back_end", "billing"),
    "non_covered": ("payer", "billing"),
    "other": ("payer", "billing"),
    "not_denial": ("none", "none"),
}

COLUMNS = {
    "categories": ["category", "label", "stage", "owner_team", "description"],
    "carc": ["carc", "description", "category", "soft_hard", "start_date", "stop_date", "source"],
    "rarc": ["rarc", "description", "start_date", "stop_date", "source"],
    "rules": ["group_code", "carc", "rarc", "claim_has_auth", "category", "sub_cause", "soft_hard", "note"],
}
FILES = {"categories": "categories.csv", "carc": "carc.csv", "rarc": "rarc.csv", "rules": "rules.csv"}
RULE_KEYS = ("group_code", "carc", "rarc", "claim_has_auth")

UNKNOWN_CATEGORY = "other"
UNKNOWN_SOFT_HARD = "soft"
FALLBACK_STAGE, FALLBACK_TEAM = "payer", "billing"  # a category missing from categories.csv

_CARC_RE = re.compile(r"^[A-Z]?\d{1,3}$")
_RARC_RE = re.compile(r"^[A-Z]{1,2}\d{1,4}$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SUB_RE = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Classification:
    category: str
    stage: str
    owner_team: str
    soft_hard: str
    sub_cause: str  # "" when no rule gave one
    known: bool     # False: the CARC is in no list (counted and shown as unknown, never dropped)

    @property
    def is_denial(self) -> bool:
        return self.category != "not_denial"


@dataclass(frozen=True)
class _Rule:
    group_code: str
    carc: str
    rarc: str
    claim_has_auth: str
    category: str
    sub_cause: str
    soft_hard: str

    @property
    def rank(self) -> tuple:
        flags = (self.rarc != "*", self.carc != "*", self.group_code != "*", self.claim_has_auth != "*")
        # sort ascending: most specific first, then the SQL model's final tie-break on the values
        return (-sum(flags), *(-int(f) for f in flags), self.rarc, self.carc, self.group_code)


# ------------------------------------------------------------------ loading

def version(directory: Path | None = None) -> str:
    """The taxonomy version (first line of VERSION), e.g. '2026.11.1'."""
    path = Path(directory or TAXONOMY_DIR) / "VERSION"
    return path.read_text(encoding="utf-8").strip().splitlines()[0].strip()


def _read_csv(path: Path) -> pl.DataFrame:
    frame = pl.read_csv(path, infer_schema=False, encoding="utf8", truncate_ragged_lines=False)
    return frame.with_columns(pl.col(c).str.strip_chars() for c in frame.columns)


@functools.lru_cache(maxsize=8)
def _load(directory: str) -> dict[str, pl.DataFrame]:
    base = Path(directory)
    tables = {key: _read_csv(base / name) for key, name in FILES.items()}
    # codes are compared exactly by the warehouse SQL: normalise case here, once, for both sides
    tables["carc"] = tables["carc"].with_columns(pl.col("carc").str.to_uppercase())
    tables["rarc"] = tables["rarc"].with_columns(pl.col("rarc").str.to_uppercase())
    rules = tables["rules"]
    rules = rules.with_columns(
        *(pl.col(c).fill_null("*").str.to_uppercase() for c in ("group_code", "carc", "rarc")),
        pl.col("claim_has_auth").fill_null("*").str.to_lowercase(),
        *(pl.col(c).fill_null("") for c in ("category", "sub_cause", "soft_hard", "note") if c in rules.columns),
    )
    tables["rules"] = rules
    return tables


def load_tables(directory: Path | None = None) -> dict[str, pl.DataFrame]:
    """The four tables as polars frames (all columns strings; dates ISO strings or null).

    Keys: categories, carc, rarc, rules. Rule keys use '*' for "any"; empty category / sub_cause /
    soft_hard in rules are '' (= keep the CARC default). Cached; call `clear_cache()` after editing."""
    return dict(_load(str(Path(directory or TAXONOMY_DIR).resolve())))


@functools.lru_cache(maxsize=8)
def _index(directory: str):
    tables = _load(directory)
    categories = {r["category"]: r for r in tables["categories"].iter_rows(named=True)}
    carcs = {r["carc"]: r for r in tables["carc"].iter_rows(named=True)}
    by_carc: dict[str, list[_Rule]] = {}
    for r in tables["rules"].iter_rows(named=True):
        rule = _Rule(r["group_code"], r["carc"], r["rarc"], r["claim_has_auth"],
                     r["category"] or "", r["sub_cause"] or "", r["soft_hard"] or "")
        by_carc.setdefault(rule.carc, []).append(rule)
    return categories, carcs, by_carc


def clear_cache() -> None:
    _load.cache_clear()
    _index.cache_clear()


# ------------------------------------------------------------------ classification

def _norm(code: object) -> str:
    return "" if code is None else str(code).strip().upper()


def _auth_key(claim_has_auth: object) -> str | None:
    if claim_has_auth is None:
        return None
    if isinstance(claim_has_auth, bool):
        return "true" if claim_has_auth else "false"
    text = str(claim_has_auth).strip().lower()
    if text in ("true", "t", "1", "yes", "y"):
        return "true"
    if text in ("false", "f", "0", "no", "n"):
        return "false"
    return None  # unknown: only '*' rules match


def _rarcs(rarc: str | Iterable[str] | None) -> frozenset[str]:
    if rarc is None:
        return frozenset()
    items = [rarc] if isinstance(rarc, str) else list(rarc)
    return frozenset(c for c in (_norm(x) for x in items if x is not None) if c)


def matching_rule(group_code: str | None, carc: str, rarc: str | Iterable[str] | None = None,
                  claim_has_auth: bool | str | None = None, directory: Path | None = None) -> dict | None:
    """The rule that wins for this key (as a dict of its columns), or None."""
    _, _, by_carc = _index(str(Path(directory or TAXONOMY_DIR).resolve()))
    g, c, remarks, auth = _norm(group_code), _norm(carc), _rarcs(rarc), _auth_key(claim_has_auth)
    candidates = [
        r for r in by_carc.get(c, []) + (by_carc.get("*", []) if c != "*" else [])
        if (r.group_code == "*" or r.group_code == g)
        and (r.rarc == "*" or r.rarc in remarks)
        and (r.claim_has_auth == "*" or r.claim_has_auth == auth)
    ]
    if not candidates:
        return None
    best = min(candidates, key=lambda r: r.rank)
    return {"group_code": best.group_code, "carc": best.carc, "rarc": best.rarc,
            "claim_has_auth": best.claim_has_auth, "category": best.category,
            "sub_cause": best.sub_cause, "soft_hard": best.soft_hard}


def classify(group_code: str | None, carc: str, rarc: str | Iterable[str] | None = None,
             claim_has_auth: bool | str | None = None, directory: Path | None = None) -> Classification:
    """Classify one adjustment.

    group_code: CO, PR, OA, PI or CR. carc: the reason code. rarc: one remark code, or all the
    remark codes that apply to the adjustment (its line's and its claim's) - a rule keyed on a RARC
    matches when any of them is that code. claim_has_auth: whether the claim carried a prior
    authorization number (None = unknown: only rules with '*' match)."""
    categories, carcs, _ = _index(str(Path(directory or TAXONOMY_DIR).resolve()))
    code = _norm(carc)
    default = carcs.get(code)
    rule = matching_rule(group_code, code, rarc, claim_has_auth, directory)
    category = (rule and rule["category"]) or (default["category"] if default else None) or UNKNOWN_CATEGORY
    soft_hard = (rule and rule["soft_hard"]) or (default["soft_hard"] if default else None) or UNKNOWN_SOFT_HARD
    if category == "not_denial":
        soft_hard = "none"
    cat = categories.get(category)
    return Classification(
        category=category,
        stage=(cat and cat["stage"]) or FALLBACK_STAGE,
        owner_team=(cat and cat["owner_team"]) or FALLBACK_TEAM,
        soft_hard=soft_hard,
        sub_cause=(rule and rule["sub_cause"]) or "",
        known=default is not None,
    )


def carc_description(carc: str, directory: Path | None = None) -> str | None:
    _, carcs, _ = _index(str(Path(directory or TAXONOMY_DIR).resolve()))
    row = carcs.get(_norm(carc))
    return row["description"] if row else None


def rarc_description(rarc: str, directory: Path | None = None) -> str | None:
    tables = _load(str(Path(directory or TAXONOMY_DIR).resolve()))
    hit = tables["rarc"].filter(pl.col("rarc") == _norm(rarc))
    return hit["description"][0] if hit.height else None


# ------------------------------------------------------------------ validation

def _check_dates(problems: list[str], table: str, key: str, row: dict) -> None:
    import datetime as dt
    for col in ("start_date", "stop_date"):
        value = row.get(col)
        if value in (None, ""):
            continue
        if not _DATE_RE.match(value):
            problems.append(f"{table} {row[key]}: {col} {value!r} is not YYYY-MM-DD")
            continue
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            problems.append(f"{table} {row[key]}: {col} {value!r} is not a real date")


def validate(directory: Path | None = None) -> list[str]:
    """Problems in the taxonomy files (empty list = valid). Never raises for bad content."""
    base = Path(directory or TAXONOMY_DIR)
    problems: list[str] = []
    try:
        v = version(base)
        if not re.match(r"^\d{4}\.\d{1,2}\.\d+$", v):
            problems.append(f"VERSION {v!r} is not YEAR.MONTH.N")
    except (OSError, IndexError) as exc:
        problems.append(f"VERSION unreadable: {exc}")
    try:
        clear_cache()
        tables = _load(str(base.resolve()))
    except Exception as exc:  # unreadable CSV: report instead of raising
        return problems + [f"cannot read the taxonomy files: {exc}"]
    for key, cols in COLUMNS.items():
        got = tables[key].columns
        if got != cols:
            problems.append(f"{FILES[key]} columns {got} != expected {cols}")
    if problems and any("columns" in p for p in problems):
        return problems

    # categories
    cats = tables["categories"]
    seen: set[str] = set()
    for row in cats.iter_rows(named=True):
        k = row["category"] or ""
        if k in seen:
            problems.append(f"categories: duplicate category {k!r}")
        seen.add(k)
        if k not in CATEGORY_KEYS:
            problems.append(f"categories: unknown category key {k!r}")
        if row["stage"] not in STAGES:
            problems.append(f"categories {k}: bad stage {row['stage']!r}")
        if row["owner_team"] not in OWNER_TEAMS:
            problems.append(f"categories {k}: bad owner_team {row['owner_team']!r}")
        if (k == "not_denial") != (row["stage"] == "none") or (k == "not_denial") != (row["owner_team"] == "none"):
            problems.append(f"categories {k}: stage/owner_team 'none' is reserved for not_denial")
        if not row["label"] or not row["description"]:
            problems.append(f"categories {k}: label and description are required")
    for k in CATEGORY_KEYS:
        if k not in seen:
            problems.append(f"categories: missing category {k!r}")

    # carc
    carc_codes: set[str] = set()
    carc_default: dict[str, tuple[str, str]] = {}
    for row in tables["carc"].iter_rows(named=True):
        code = row["carc"] or ""
        if code in carc_codes:
            problems.append(f"carc: duplicate code {code!r}")
        carc_codes.add(code)
        if not _CARC_RE.match(code):
            problems.append(f"carc: malformed code {code!r}")
        if row["category"] not in CATEGORY_KEYS:
            problems.append(f"carc {code}: unknown category {row['category']!r}")
        if row["soft_hard"] not in SOFT_HARD:
            problems.append(f"carc {code}: soft_hard {row['soft_hard']!r} not in {SOFT_HARD}")
        elif (row["category"] == "not_denial") != (row["soft_hard"] == "none"):
            problems.append(f"carc {code}: soft_hard 'none' is for not_denial only (and not_denial needs it)")
        if not row["description"]:
            problems.append(f"carc {code}: description is required")
        if row["source"] not in SOURCES:
            problems.append(f"carc {code}: source {row['source']!r} not in {SOURCES}")
        _check_dates(problems, "carc", "carc", row)
        carc_default[code] = (row["category"], row["soft_hard"])

    # rarc
    rarc_codes: set[str] = set()
    for row in tables["rarc"].iter_rows(named=True):
        code = row["rarc"] or ""
        if code in rarc_codes:
            problems.append(f"rarc: duplicate code {code!r}")
        rarc_codes.add(code)
        if not _RARC_RE.match(code):
            problems.append(f"rarc: malformed code {code!r}")
        if not row["description"]:
            problems.append(f"rarc {code}: description is required")
        if row["source"] not in SOURCES:
            problems.append(f"rarc {code}: source {row['source']!r} not in {SOURCES}")
        _check_dates(problems, "rarc", "rarc", row)

    # rules
    keys: set[tuple] = set()
    for i, row in enumerate(tables["rules"].iter_rows(named=True), start=2):
        where = f"rules.csv line {i}"
        key = tuple(row[c] for c in RULE_KEYS)
        if key in keys:
            problems.append(f"{where}: duplicate rule key {key}")
        keys.add(key)
        g, c, r, a = key
        if g != "*" and g not in GROUP_CODES:
            problems.append(f"{where}: group_code {g!r} not in {GROUP_CODES} or '*'")
        if c != "*" and c not in carc_codes:
            problems.append(f"{where}: rule references unknown CARC {c!r}")
        if r != "*" and r not in rarc_codes:
            problems.append(f"{where}: rule references unknown RARC {r!r}")
        if a not in ("true", "false", "*"):
            problems.append(f"{where}: claim_has_auth {a!r} must be true, false or *")
        cat, sh, sub = row["category"], row["soft_hard"], row["sub_cause"]
        if cat and cat not in CATEGORY_KEYS:
            problems.append(f"{where}: rule references unknown category {cat!r}")
        if sh and sh not in SOFT_HARD:
            problems.append(f"{where}: soft_hard {sh!r} not in {SOFT_HARD}")
        if sub and not _SUB_RE.match(sub):
            problems.append(f"{where}: sub_cause {sub!r} is not snake_case")
        if cat and not sh:
            problems.append(f"{where}: a rule that sets category must also set soft_hard")
        effective_cat = cat or (carc_default.get(c, (None, None))[0] if c != "*" else None)
        effective_sh = sh or (carc_default.get(c, (None, None))[1] if c != "*" else None)
        if not cat and sh and c == "*":
            problems.append(f"{where}: soft_hard without category on a wildcard CARC is ambiguous")
        if effective_cat and effective_sh in SOFT_HARD:
            if (effective_cat == "not_denial") != (effective_sh == "none"):
                problems.append(f"{where}: result {effective_cat}/{effective_sh} is inconsistent "
                                "('none' is for not_denial only)")
        if not (cat or sub or sh):
            problems.append(f"{where}: rule changes nothing (no category, sub_cause or soft_hard)")
    return problems
