"""Site and payer mapping: which practice site a billing NPI/TIN/facility belongs to, and which
practice payer a payer ID or name from an X12 file belongs to.

The mapping is two CSV files in a config folder that the practice edits (docs/config-mapping.md):

    sites.csv   match_type,match_value,site_id,site_name
                match_type: npi (billing provider NPI), tin (billing provider TIN),
                            facility_npi (service facility NPI)
    payers.csv  match_type,match_value,payer_id,payer_name,payer_class
                match_type: payer_id (the payer's ID in the file: N1*PR04, REF*2U, NM1*PR09),
                            payer_name (the payer's name as the file writes it)

The folder is `$DENIALS_CONFIG_DIR` when set, else `config/` beside the warehouse file.

Whatever the mapping does not cover still loads: an unmapped billing NPI becomes its own site
`NPI-<npi>` named as the file names the billing provider, an unmapped payer becomes its own payer
keyed by its raw ID (or its name when the file has no ID) with class `other`; both are marked
`unmapped` so the app can list them for the practice to map.
"""
from __future__ import annotations

import csv
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from etl.contract import PAYER_CLASSES

log = logging.getLogger(__name__)

ENV_CONFIG_DIR = "DENIALS_CONFIG_DIR"
SITE_MATCH_TYPES = ("npi", "tin", "facility_npi")
PAYER_MATCH_TYPES = ("payer_id", "payer_name")
SITES_COLUMNS = ("match_type", "match_value", "site_id", "site_name")
PAYERS_COLUMNS = ("match_type", "match_value", "payer_id", "payer_name", "payer_class")


@dataclass(frozen=True)
class SiteRef:
    site_id: str
    site_name: str
    unmapped: bool


@dataclass(frozen=True)
class PayerRef:
    payer_id: str
    payer_name: str
    payer_class: str
    unmapped: bool


def norm_name(s: str | None) -> str:
    """Payer names match case-insensitively and ignore repeated blanks."""
    return " ".join((s or "").upper().split())


def norm_id(s: str | None) -> str:
    return (s or "").strip().upper()


def _digits(s: str | None) -> str:
    return "".join(ch for ch in (s or "") if "0" <= ch <= "9")


@dataclass
class Mapping:
    """The practice's site and payer mapping (empty when there is no config folder)."""
    by_npi: dict[str, tuple[str, str]] = field(default_factory=dict)
    by_tin: dict[str, tuple[str, str]] = field(default_factory=dict)
    by_facility: dict[str, tuple[str, str]] = field(default_factory=dict)
    by_payer_id: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    by_payer_name: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    source: Path | None = None
    problems: list[str] = field(default_factory=list)

    # -- sites ---------------------------------------------------------------------------------
    def site(self, billing_npi: str | None, tin: str | None = None, facility_npi: str | None = None,
             billing_name: str | None = None) -> SiteRef:
        """The site of a claim: service facility NPI first (the most specific), then the billing
        NPI, then the billing TIN. Unmapped: `NPI-<billing npi>` (or `TIN-<tin>`)."""
        for table, key in ((self.by_facility, facility_npi), (self.by_npi, billing_npi), (self.by_tin, _digits(tin))):
            if key and key in table:
                sid, name = table[key]
                return SiteRef(sid, name, False)
        name = (billing_name or "").strip()
        if billing_npi:
            return SiteRef(f"NPI-{billing_npi}", name or f"NPI {billing_npi}", True)
        if tin:
            return SiteRef(f"TIN-{_digits(tin) or tin.strip()}", name or f"TIN {tin.strip()}", True)
        if facility_npi:
            return SiteRef(f"NPI-{facility_npi}", name or f"NPI {facility_npi}", True)
        return SiteRef("UNKNOWN", name or "Unknown site", True)

    # -- payers --------------------------------------------------------------------------------
    def payer(self, raw_id: str | None, raw_name: str | None) -> PayerRef:
        """The practice's payer for a payer ID/name from a file. Unmapped: keyed by the raw ID,
        else by the name; class `other`."""
        rid, rname = norm_id(raw_id), norm_name(raw_name)
        if rid and rid in self.by_payer_id:
            return PayerRef(*self.by_payer_id[rid], False)
        if rname and rname in self.by_payer_name:
            return PayerRef(*self.by_payer_name[rname], False)
        key = (raw_id or "").strip() or " ".join((raw_name or "").split()) or "UNKNOWN"
        name = " ".join((raw_name or "").split()) or key
        return PayerRef(key, name, "other", True)


def config_dir(warehouse: str | Path | None = None) -> Path | None:
    """The mapping folder: $DENIALS_CONFIG_DIR, else `config/` beside the warehouse file."""
    env = os.environ.get(ENV_CONFIG_DIR)
    if env:
        return Path(env)
    if warehouse is not None:
        return Path(warehouse).resolve().parent / "config"
    return None


def _read_csv(path: Path, columns: tuple[str, ...], problems: list[str]) -> list[tuple[int, dict[str, str]]]:
    if not path.is_file():
        return []
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"{path}: cannot be read ({exc})")
        return []
    reader = csv.DictReader(text.splitlines())
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in columns if c not in header]
    if missing:
        problems.append(f"{path}: missing column(s) {', '.join(missing)} (expected {','.join(columns)})")
        return []
    reader.fieldnames = header
    rows = []
    for i, row in enumerate(reader, start=2):
        clean = {k: (v or "").strip() for k, v in row.items() if k}
        if not any(clean.values()) or clean.get("match_type", "").startswith("#"):
            continue
        rows.append((i, clean))
    return rows


def load_mapping(directory: str | Path | None = None, *, warehouse: str | Path | None = None) -> Mapping:
    """Read sites.csv and payers.csv from `directory` (default: `config_dir(warehouse)`).
    Bad rows are skipped and described in `Mapping.problems` (never raised)."""
    d = Path(directory) if directory is not None else config_dir(warehouse)
    m = Mapping(source=d)
    if d is None or not d.is_dir():
        return m
    p = m.problems
    for line, row in _read_csv(d / "sites.csv", SITES_COLUMNS, p):
        mt, mv, sid, sname = (row.get(c, "") for c in SITES_COLUMNS)
        where = f"{d / 'sites.csv'} line {line}"
        mt = mt.lower()
        if mt not in SITE_MATCH_TYPES:
            p.append(f"{where}: match_type {mt!r} is not one of {', '.join(SITE_MATCH_TYPES)}")
            continue
        if not sid:
            p.append(f"{where}: site_id is empty")
            continue
        key = _digits(mv)
        expected = 9 if mt == "tin" else 10
        if len(key) != expected:
            p.append(f"{where}: {mt} {mv!r} should have {expected} digits")
            continue
        table = {"npi": m.by_npi, "tin": m.by_tin, "facility_npi": m.by_facility}[mt]
        if key in table and table[key][0] != sid:
            p.append(f"{where}: {mt} {key} is already mapped to site {table[key][0]}; this row is ignored")
            continue
        table[key] = (sid, sname or sid)
    for line, row in _read_csv(d / "payers.csv", PAYERS_COLUMNS, p):
        mt, mv, pid, pname, pclass = (row.get(c, "") for c in PAYERS_COLUMNS)
        where = f"{d / 'payers.csv'} line {line}"
        mt = mt.lower()
        if mt not in PAYER_MATCH_TYPES:
            p.append(f"{where}: match_type {mt!r} is not one of {', '.join(PAYER_MATCH_TYPES)}")
            continue
        if not pid or not mv:
            p.append(f"{where}: match_value and payer_id must not be empty")
            continue
        pclass = (pclass or "other").lower()
        if pclass not in PAYER_CLASSES:
            p.append(f"{where}: payer_class {pclass!r} is not one of {', '.join(PAYER_CLASSES)}; using 'other'")
            pclass = "other"
        key = norm_id(mv) if mt == "payer_id" else norm_name(mv)
        table = m.by_payer_id if mt == "payer_id" else m.by_payer_name
        if key in table and table[key][0] != pid:
            p.append(f"{where}: {mt} {mv!r} is already mapped to payer {table[key][0]}; this row is ignored")
            continue
        table[key] = (pid, pname or pid, pclass)
    for problem in p:
        log.warning("mapping: %s", problem)
    return m


_CACHE: dict[Path | None, tuple[tuple, Mapping]] = {}


def default_mapping(warehouse: str | Path | None = None) -> Mapping:
    """`load_mapping` for the default folder, re-read only when the CSV files change."""
    d = config_dir(warehouse)
    stamp: tuple = ()
    if d is not None:
        for name in ("sites.csv", "payers.csv"):
            try:
                st = (d / name).stat()
                stamp += (name, st.st_mtime_ns, st.st_size)
            except OSError:
                stamp += (name, None)
    hit = _CACHE.get(d)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    m = load_mapping(d) if d is not None else Mapping()
    _CACHE[d] = (stamp, m)
    return m
