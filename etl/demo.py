"""The demo MSO: a deterministic, synthetic 24-month claims history written as contract input files.

    generate(out_dir, claims=150_000, seed=7, end=None, fmt="csv", progress=None) -> list[Path]

writes sites.csv, providers.csv, payers.csv and, per chunk of at most CHUNK_CLAIMS claims,
claims_NNNN, claim_lines_NNNN, rejections_NNNN, remits_NNNN, remit_lines_NNNN,
remit_adjustments_NNNN, remit_remarks_NNNN, appeals_NNNN and write_offs_NNNN (CSV with a header row,
or Parquet with the same string columns). Column names are those of etl/contract.py.

Nothing here is real: names are invented, NPIs are random but pass the NPI Luhn check, patient and
member ids are random. The same (claims, seed, end, fmt) always gives byte-identical files: every
random draw comes from numpy's PCG64 seeded by (seed, chunk number), patient attributes come from a
counter-based hash, and nothing depends on the clock (except `end`, which defaults to today).

How the MSO behaves (volumes, payer rules, the lifecycle of a claim, the planted stories) is
documented in docs/demo-data.md; the numbers it quotes live in the constants below, and STORIES
holds the exact parameters of the four planted stories.

Generation only: no SQL, no loading (`python -m etl demo` calls generate() and then the loader).
Everything is vectorised with numpy per chunk, and money is integer cents until it is written, so
every remit balances to the cent. Memory is bounded by the chunk size, not by `claims`.
"""
from __future__ import annotations

import calendar
import datetime as dt
from pathlib import Path
from typing import Callable

import numpy as np
import polars as pl
import pyarrow as pa

from etl.contract import KINDS

CHUNK_CLAIMS = 250_000          # claims per chunk file (a chunk also holds its claims' remits, appeals ...)
HISTORY_MONTHS = 24
_REF_SEED = 20_240_607          # reference data (names, NPIs, fee schedules) do not depend on `seed`

# --------------------------------------------------------------------------------------------------
# Codes the demo emits. Every CARC/RARC written by generate() is in one of these lists (tests check).
DEMO_CARCS = ("1", "2", "3", "4", "11", "15", "16", "18", "22", "23", "26", "27", "29", "31", "45", "50",
              "55", "56", "96", "97", "119", "150", "151", "167", "177", "181", "182", "189", "197", "198",
              "204", "234", "253", "B7", "B15")
DEMO_RARCS = ("M15", "M25", "M62", "M76", "M80", "M86", "M127", "MA04", "MA130", "N20", "N30", "N54", "N56",
              "N115", "N130", "N265", "N290", "N386", "N479", "N519", "N570", "N657", "N706")
GROUPS = ("CO", "PR", "OA")
STATUSES = ("1", "2", "4", "19", "22")
REJECTIONS = (  # 277CA STC01, reason, source, weight
    ("A7:21", "Missing or invalid information", "clearinghouse", 0.25),
    ("A7:164", "Entity's contract/member number", "payer", 0.20),
    ("A3:116", "Claim submitted to incorrect payer", "payer", 0.08),
    ("A7:562", "Entity's National Provider Identifier (NPI)", "payer", 0.12),
    ("A7:187", "Date(s) of service", "clearinghouse", 0.12),
    ("A7:255", "Diagnosis code", "clearinghouse", 0.23),
)

# --------------------------------------------------------------------------------------------------
# Sites: id, name, specialty, state, share of visits, growth over the 24 months, Saturday and Sunday
# weights (weekday = 1), visits per patient over the history, mean days to submit, telehealth share
SITES = (
    ("ORTHO-N", "Northside Orthopedics & Sports Medicine", "orthopedics", "TX", 0.20, 0.15, 0.03, 0.00, 3.5, 3.0, 0.00),
    ("FAMMED-E", "Eastgate Family Medicine", "family medicine", "TX", 0.22, 0.12, 0.10, 0.01, 4.0, 2.5, 0.06),
    ("CARD-C", "Central Heart & Vascular", "cardiology", "TX", 0.12, 0.10, 0.00, 0.00, 3.0, 3.0, 0.00),
    ("BH-W", "Westbrook Behavioral Health", "behavioral health", "TX", 0.13, 0.35, 0.04, 0.00, 14.0, 2.0, 0.35),
    ("PEDS-E", "Eastgate Pediatrics", "pediatrics", "TX", 0.13, 0.08, 0.12, 0.03, 4.5, 2.5, 0.00),
    ("DERM-S", "Southpark Dermatology", "dermatology", "TX", 0.07, 0.10, 0.02, 0.00, 2.5, 3.5, 0.00),
    ("PT-N", "Northside Physical Therapy", "physical therapy", "TX", 0.08, 0.20, 0.05, 0.00, 10.0, 2.0, 0.00),
    ("GI-V", "Valley Gastroenterology", "gastroenterology", "OK", 0.05, 0.05, 0.00, 0.00, 1.8, 4.0, 0.00),
)
SITE_IDS = tuple(s[0] for s in SITES)
# month multipliers of visit volume by site (Jan..Dec)
_SEASON = {
    "PEDS-E": (1.15, 1.15, 1.05, 0.95, 0.9, 0.9, 1.05, 1.12, 1.0, 0.95, 1.0, 1.05),
    "DERM-S": (0.95, 0.95, 1.0, 1.05, 1.1, 1.1, 1.05, 1.0, 1.0, 0.95, 0.95, 0.9),
    "BH-W": (1.05, 1.05, 1.05, 1.0, 1.0, 0.95, 0.92, 0.9, 1.0, 1.05, 1.0, 0.85),
    "ORTHO-N": (0.95, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.05, 1.05, 1.05, 1.0, 0.95),
}

# Providers per site: (last, first, relative volume, joined days before end or None, left days before end or None)
PROVIDERS = {
    "ORTHO-N": (("Halvorsen", "Erik", 1.2, None, None), ("Castellanos", "Maria", 1.0, None, None),
                ("Pruitt", "Nathan", 1.0, None, None), ("Adeyemi", "Tola", 0.9, None, None),
                ("Brandt", "Lukas", 0.8, None, None), ("Sorensen", "Kai", 1.1, None, None),
                ("Whitfield", "Grace", 0.7, None, None), ("Okafor", "Daniel", 1.0, 270, None),
                ("Ivanova", "Mila", 0.6, None, None)),
    "FAMMED-E": (("Nakamura", "Ellen", 1.1, None, None), ("Drummond", "Paul", 1.0, None, None),
                 ("Velasquez", "Rosa", 1.0, None, None), ("Thornton", "Amir", 0.9, None, None),
                 ("Kowalski", "Beth", 0.8, None, None), ("Mensah", "Kwame", 1.0, None, None),
                 ("Albright", "June", 0.7, None, None), ("Fairbanks", "Owen", 0.9, None, None),
                 ("Whitaker", "Joan", 1.0, None, 180), ("Rahman", "Sadia", 1.0, None, None),
                 ("Lindgren", "Tove", 0.6, None, None), ("Beaumont", "Claire", 0.8, None, None)),
    "CARD-C": (("Marsh", "Elena", 1.0, None, None), ("Oyelaran", "Femi", 1.0, None, None),
               ("Petrakis", "George", 1.1, None, None), ("Huang", "Lily", 0.9, None, None),
               ("Delacroix", "Henri", 0.8, None, None), ("Sutherland", "Ian", 1.0, None, None)),
    "BH-W": (("Moreau", "Juliette", 1.0, None, None), ("Abernathy", "Cole", 0.9, None, None),
             ("Sandoval", "Lucia", 1.0, None, None), ("Brennan", "Tess", 1.1, None, None),
             ("Iyer", "Kavya", 0.8, None, None), ("Lindqvist", "Hanna", 1.0, 420, None),
             ("Ferreira", "Bruno", 0.9, None, None), ("Galloway", "Reid", 0.7, None, None),
             ("Nwosu", "Ada", 1.0, None, None), ("Quintero", "Paz", 0.8, None, None)),
    "PEDS-E": (("Ashworth", "Molly", 1.0, None, None), ("Bautista", "Leo", 1.1, None, None),
               ("Chandra", "Priya", 1.0, None, None), ("Donnelly", "Sean", 0.9, None, None),
               ("Eriksen", "Ingrid", 0.8, None, None), ("Fontaine", "Aimee", 1.0, None, None),
               ("Greer", "Malcolm", 0.7, None, None)),
    "DERM-S": (("Harrow", "Simone", 1.2, None, None), ("Yilmaz", "Deniz", 1.0, None, None),
               ("Kessler", "Abigail", 0.9, None, None), ("Laurent", "Theo", 0.7, None, None)),
    "PT-N": (("Montoya", "Ray", 1.0, None, None), ("Novak", "Petra", 1.0, None, None),
             ("Osei", "Kofi", 0.9, None, None), ("Pellegrini", "Gina", 1.1, None, None),
             ("Rasmussen", "Jonas", 0.8, None, None), ("Stroud", "Emily", 0.9, None, None)),
    "GI-V": (("Tanaka", "Hiro", 1.1, None, None), ("Underwood", "Alma", 1.0, None, None),
             ("Vasquez", "Diego", 0.8, None, None)),
}

# Payers: id, name, class, appeal window days, timely filing days, base denial rate, mean days to
# adjudicate, payment weekdays (MTWRF), appeal win ratio, allowed / charge ratio, CLP06 filing
# indicator, requires prior authorization, member id format, applies sequestration (CO-253)
PAYERS = (
    ("BCX", "BlueCrest PPO", "commercial", 180, 180, 0.080, 16, "T", 0.55, 0.58, "CI", True, "A", False),
    ("SUMMIT", "Summit Health Plan", "commercial", 180, 90, 0.090, 21, "R", 0.50, 0.52, "CI", True, "A", False),
    ("KEYNAT", "Keystone National Insurance", "commercial", 180, 365, 0.075, 18, "W", 0.52, 0.60, "CI", True, "A", False),
    ("UNITY", "Unity Choice Health", "commercial", 90, 120, 0.110, 25, "F", 0.40, 0.50, "HM", True, "A", False),
    ("MCR", "Medicare Part B (Jurisdiction H)", "medicare", 120, 365, 0.060, 15, "MTWRF", 0.60, 0.40, "MB", False, "M", True),
    ("MAPLE", "Maple Medicare Advantage", "medicare_advantage", 65, 365, 0.110, 20, "MR", 0.45, 0.42, "16", True, "X", True),
    ("HORIZON", "Horizon Senior Advantage", "medicare_advantage", 60, 180, 0.120, 24, "W", 0.42, 0.41, "16", True, "X", False),
    ("TXMCD", "State Medicaid (FFS)", "medicaid", 120, 95, 0.110, 28, "F", 0.35, 0.30, "MC", True, "N", False),
    ("CARECIR", "CareCircle Community Plan", "managed_medicaid", 90, 90, 0.130, 22, "T", 0.38, 0.32, "MC", True, "A", False),
    ("RIVERB", "Riverbend Medicaid Managed Care", "managed_medicaid", 60, 120, 0.140, 30, "R", 0.33, 0.33, "MC", True, "A", False),
    ("LSWC", "Lone Star Workers' Comp Mutual", "workers_comp", 60, 365, 0.120, 35, "M", 0.40, 0.72, "WC", True, "W", False),
    ("VACCN", "Veterans Community Care Network", "other", 90, 180, 0.090, 30, "W", 0.45, 0.45, "OF", True, "N", False),
    ("SELF", "Self Pay", "self_pay", None, None, 0.0, 0, "MTWRF", 0.0, 1.0, "ZZ", False, "N", False),
)
PAYER_IDS = tuple(p[0] for p in PAYERS)
_MEMBER_PREFIX = {"BCX": "XBC", "SUMMIT": "SHP", "KEYNAT": "KNI", "UNITY": "UCH", "CARECIR": "CCP", "RIVERB": "RBM"}
# payer mix by site (share of visits by payer id); self-pay encounters are never billed to an 837
SITE_PAYER_MIX = {
    "ORTHO-N": {"BCX": .16, "SUMMIT": .13, "KEYNAT": .10, "UNITY": .06, "MCR": .18, "MAPLE": .08, "HORIZON": .06,
                "CARECIR": .03, "RIVERB": .03, "LSWC": .10, "VACCN": .07},
    "FAMMED-E": {"BCX": .15, "SUMMIT": .12, "KEYNAT": .09, "UNITY": .06, "MCR": .15, "MAPLE": .08, "HORIZON": .05,
                 "TXMCD": .10, "CARECIR": .08, "RIVERB": .07, "VACCN": .05},
    "CARD-C": {"BCX": .11, "SUMMIT": .09, "KEYNAT": .06, "UNITY": .04, "MCR": .35, "MAPLE": .14, "HORIZON": .11,
               "TXMCD": .05, "VACCN": .05},
    "BH-W": {"BCX": .16, "SUMMIT": .13, "KEYNAT": .09, "UNITY": .07, "MCR": .10, "MAPLE": .05, "HORIZON": .03,
             "TXMCD": .12, "CARECIR": .11, "RIVERB": .09, "VACCN": .05},
    "PEDS-E": {"BCX": .16, "SUMMIT": .13, "KEYNAT": .09, "UNITY": .07, "TXMCD": .15, "CARECIR": .20, "RIVERB": .15,
               "VACCN": .05},
    "DERM-S": {"BCX": .20, "SUMMIT": .16, "KEYNAT": .12, "UNITY": .07, "MCR": .20, "MAPLE": .09, "HORIZON": .06,
               "TXMCD": .05, "VACCN": .05},
    "PT-N": {"BCX": .16, "SUMMIT": .13, "KEYNAT": .10, "UNITY": .06, "MCR": .20, "MAPLE": .06, "HORIZON": .04,
             "CARECIR": .05, "LSWC": .15, "VACCN": .05},
    "GI-V": {"BCX": .17, "SUMMIT": .13, "KEYNAT": .10, "UNITY": .05, "MCR": .25, "MAPLE": .12, "HORIZON": .08,
             "TXMCD": .05, "VACCN": .05},
}
PATIENT_SWITCH_SHARE = 0.12     # patients whose payer is redrawn each January (coverage churn)
MEDICARE_SECONDARY_SHARE = 0.40  # Medicare patients with a secondary (crossover: status 19, then status 2)

# --------------------------------------------------------------------------------------------------
# Procedure codes: charge ($, chargemaster of the first year, +4% each January), kind, needs prior auth
CODES = {
    "99202": (140, "em", 0), "99203": (215, "em", 0), "99204": (330, "em", 0), "99205": (425, "em", 0),
    "99212": (105, "em", 0), "99213": (165, "em", 0), "99214": (245, "em", 0), "99215": (340, "em", 0),
    "99391": (210, "prev", 0), "99392": (225, "prev", 0), "99393": (225, "prev", 0), "99394": (245, "prev", 0),
    "99395": (285, "prev", 0), "99396": (305, "prev", 0), "99397": (320, "prev", 0),
    "G0438": (295, "prev", 0), "G0439": (215, "prev", 0),
    "20610": (260, "proc", 0), "20611": (310, "proc", 1), "20550": (210, "proc", 0),
    "J3301": (12, "drug", 0), "J7325": (1450, "drug", 1),
    "73030": (130, "test", 0), "73562": (145, "test", 0), "73610": (125, "test", 0), "73721": (1650, "test", 1),
    "29881": (4300, "proc", 1), "29827": (6800, "proc", 1), "29877": (1900, "proc", 1),
    "29826": (2100, "proc", 1), "L1832": (720, "dme", 1),
    "93000": (95, "test", 0), "93306": (1150, "test", 1), "93015": (520, "test", 0), "93350": (1300, "test", 1),
    "78452": (1850, "test", 1), "93880": (780, "test", 0), "93224": (420, "test", 0),
    "36415": (25, "proc", 0), "80061": (75, "test", 0), "85025": (40, "test", 0), "80053": (65, "test", 0),
    "81002": (22, "test", 0), "87880": (45, "test", 0), "96127": (30, "prev", 0),
    "90471": (45, "adm", 0), "G0008": (45, "adm", 0), "90686": (65, "vacc", 0), "90715": (85, "vacc", 0),
    "90732": (160, "vacc", 0), "69210": (120, "proc", 0), "11102": (210, "proc", 0), "17110": (190, "proc", 0),
    "90791": (325, "psych", 0), "90792": (395, "psych", 0), "90832": (125, "psych", 0), "90834": (185, "psych", 0),
    "90837": (245, "psych", 0), "90833": (110, "addon", 0), "90836": (150, "addon", 0), "90847": (210, "psych", 0),
    "90853": (85, "psych", 0), "96130": (410, "test", 1), "96131": (320, "addon", 1), "90785": (35, "addon", 0),
    "11103": (115, "addon", 0), "11104": (235, "proc", 0), "11105": (125, "addon", 0), "17000": (175, "proc", 0),
    "17003": (28, "addon", 0), "11305": (230, "proc", 0), "11402": (420, "proc", 0), "11900": (135, "proc", 0),
    "90460": (40, "adm", 0), "90461": (25, "adm", 0), "90700": (75, "vacc", 0), "90710": (285, "vacc", 0),
    "90707": (115, "vacc", 0), "90716": (190, "vacc", 0), "90648": (55, "vacc", 0), "90670": (295, "vacc", 0),
    "90680": (145, "vacc", 0), "90744": (55, "vacc", 0), "96110": (45, "prev", 0), "99173": (20, "prev", 0),
    "92551": (35, "prev", 0), "96161": (20, "prev", 0),
    "97161": (240, "eval", 0), "97162": (260, "eval", 0), "97163": (290, "eval", 0), "97164": (150, "eval", 0),
    "97110": (85, "ther", 1), "97140": (80, "ther", 1), "97112": (90, "ther", 1), "97530": (95, "ther", 1),
    "97010": (30, "ther", 0), "G0283": (40, "ther", 0), "97035": (45, "ther", 0),
    "45378": (2100, "proc", 0), "45380": (2450, "proc", 0), "45385": (2700, "proc", 0), "43239": (1750, "proc", 0),
    "G0121": (1950, "prev", 0), "91110": (1450, "proc", 1),
}
CODE_LIST = tuple(CODES)
KINDS_LIST = ("em", "prev", "proc", "test", "drug", "dme", "adm", "vacc", "psych", "addon", "eval", "ther")
MODIFIERS = ("", "25", "59", "24", "57", "58", "78", "79", "LT", "RT", "GP", "33", "PT", "95", "GT")
POS_LIST = ("11", "22", "24", "10")


def _s(p, codes, m1=None, m2=None, units=(1, 1)):
    """A template slot: included with probability p; code and modifiers drawn from the alternatives."""
    return (p, codes, m1, m2, units)


_LR = {"RT": .5, "LT": .5}
# Encounter templates per specialty: (weight, place of service, telehealth possible, slots)
TEMPLATES = {
    "orthopedics": (
        (0.10, "11", False, (_s(1, {"99213": .55, "99214": .45}), _s(.5, {"73562": .5, "73030": .3, "73610": .2}, _LR))),
        (0.13, "11", False, (_s(1, {"99203": .45, "99204": .55}), _s(1, {"73562": .4, "73030": .3, "73610": .3}, _LR),
                             _s(.6, {"73030": .5, "73562": .5}, _LR))),
        (0.20, "11", False, (_s(1, {"99213": .5, "99214": .5}, "25"), _s(1, {"20610": .8, "20611": .2}, _LR),
                             _s(1, "J3301", units=(4, 8)), _s(.6, {"73562": .6, "73030": .4}, _LR))),
        (0.06, "11", False, (_s(1, "20610", _LR), _s(1, "J7325"), _s(.3, "73562", _LR))),
        (0.08, "11", False, (_s(1, "99214"), _s(1, "73721", _LR))),
        (0.08, {"24": .7, "22": .3}, False, (_s(1, {"29881": .7, "29827": .3}, _LR,
                                                  {"": .83, "79": .05, "78": .04, "58": .08}),
                                             _s(.35, {"29877": .6, "29826": .4}, _LR, "59"))),
        (0.04, "11", False, (_s(1, {"99214": .5, "99215": .5}, "57"), _s(.5, "73562", _LR))),
        (0.04, "11", False, (_s(1, "99213", "24"),)),
        (0.06, "11", False, (_s(1, {"99213": .6, "99214": .4}), _s(1, "L1832", _LR), _s(.5, "73562", _LR))),
        (0.06, "11", False, (_s(1, "99213", "25"), _s(1, "20550", _LR), _s(1, "J3301", units=(2, 4)))),
        (0.04, "11", False, (_s(1, "99214", "25"), _s(1, "20610", "RT"), _s(1, "20610", "LT", "59"),
                             _s(1, "J3301", units=(8, 8)))),
    ),
    "cardiology": (
        (0.11, "11", False, (_s(1, {"99213": .35, "99214": .5, "99215": .15}),)),
        (0.26, "11", False, (_s(1, {"99213": .25, "99214": .6, "99215": .15}), _s(1, "93000"), _s(.45, "36415"),
                             _s(.4, "80061"), _s(.25, "80053"))),
        (0.13, "11", False, (_s(.6, {"99213": .4, "99214": .6}), _s(1, "93306"), _s(.3, "93000"))),
        (0.10, "11", False, (_s(1, {"93015": .55, "93350": .45}), _s(.45, "93000"))),
        (0.07, {"11": .6, "22": .4}, False, (_s(1, "78452"), _s(1, "93015"), _s(.3, "93000"))),
        (0.10, "11", False, (_s(.6, "99214"), _s(1, {"93880": .5, "93224": .5}))),
        (0.11, "11", False, (_s(1, {"99204": .6, "99205": .4}), _s(1, "93000"), _s(.6, "36415"), _s(.6, "80061"),
                             _s(.3, "85025"))),
        (0.08, "11", False, (_s(1, "99213"), _s(1, "36415"), _s(1, "80061"), _s(.5, "80053"), _s(.4, "85025"))),
    ),
    "family medicine": (
        (0.21, "11", True, (_s(1, {"99212": .05, "99213": .55, "99214": .40}), _s(.25, "96127"))),
        (0.22, "11", False, (_s(1, {"99213": .5, "99214": .5}), _s(1, "36415"), _s(1, {"85025": .4, "80053": .4, "81002": .2}),
                             _s(.5, "80061"), _s(.3, "81002"))),
        (0.13, "11", False, (_s(1, {"99395": .3, "99396": .5, "99397": .2}), _s(.8, "36415"), _s(.7, "80053"),
                             _s(.6, "80061"), _s(.5, "85025"), _s(.35, {"99213": .7, "99214": .3}, "25"), _s(.4, "96127"))),
        (0.05, "11", False, (_s(1, {"G0439": .8, "G0438": .2}), _s(.35, "99213", "25"), _s(.4, "96127"))),
        (0.09, "11", False, (_s(.5, {"99213": .7, "99214": .3}, "25"), _s(1, {"90471": .75, "G0008": .25}),
                             _s(1, {"90686": .6, "90715": .2, "90732": .2}))),
        (0.11, "11", False, (_s(1, {"99213": .6, "99214": .4}, "25"), _s(1, {"69210": .4, "11102": .3, "17110": .3}))),
        (0.07, "11", False, (_s(1, "99213"), _s(1, "87880"))),
        (0.05, "11", False, (_s(1, "99214"), _s(1, "93000"))),
        (0.05, "11", True, (_s(1, {"99213": .6, "99214": .4}), _s(.5, "96127"))),
    ),
    "behavioral health": (
        (0.30, "11", True, (_s(1, "90837"), _s(.3, "96127"), _s(.15, "90785"))),
        (0.19, "11", True, (_s(1, "90834"), _s(.2, "90785"), _s(.2, "96127"))),
        (0.05, "11", True, (_s(1, "90832"),)),
        (0.19, "11", True, (_s(1, {"99213": .45, "99214": .55}), _s(.85, {"90833": .7, "90836": .3}), _s(.3, "96127"))),
        (0.07, "11", True, (_s(1, {"90791": .7, "90792": .3}), _s(.2, "90785"))),
        (0.06, "11", True, (_s(1, "90847"),)),
        (0.08, "11", False, (_s(1, "90853"),)),
        (0.04, "11", False, (_s(1, "96130"), _s(1, "96131", units=(1, 3)))),
        (0.02, "11", True, (_s(1, "90834"), _s(1, "90785"))),
    ),
    "pediatrics": (
        (0.36, "11", False, (_s(1, {"99213": .65, "99214": .35}), _s(.4, "87880"), _s(.15, "96127"))),
        (0.16, "11", False, (_s(1, {"99391": .5, "99392": .5}), _s(1, "90460", units=(1, 3)), _s(.9, "90461", units=(1, 4)),
                             _s(1, "90700"), _s(.7, "90670"), _s(.6, "90680"), _s(.5, "90648"), _s(.4, "90744"),
                             _s(.6, "96110"), _s(.5, "96161"))),
        (0.20, "11", False, (_s(1, {"99393": .5, "99394": .5}), _s(.6, "90460", units=(1, 2)),
                             _s(.45, {"90707": .3, "90716": .3, "90715": .4}), _s(.7, "99173"), _s(.6, "92551"),
                             _s(.35, "96127"))),
        (0.08, "11", False, (_s(1, {"99392": .5, "99393": .5}), _s(1, "99213", "25"), _s(.6, "90460"),
                             _s(.5, {"90700": .5, "90707": .5}))),
        (0.12, "11", False, (_s(1, "90460"), _s(1, "90686"))),
        (0.08, "11", False, (_s(1, "99214"),)),
    ),
    "dermatology": (
        (0.08, "11", False, (_s(1, {"99203": .3, "99213": .45, "99214": .25}),)),
        (0.24, "11", False, (_s(1, {"99213": .6, "99214": .4}, "25"), _s(1, {"11102": .6, "11104": .4}),
                             _s(.7, {"11103": .6, "11105": .4}, units=(1, 3)), _s(.25, "17000"))),
        (0.22, "11", False, (_s(.75, "99213", "25"), _s(1, "17000"), _s(.85, "17003", units=(1, 12)),
                             _s(.2, "11102", "59"))),
        (0.10, "11", False, (_s(.6, "99213", "25"), _s(1, {"11305": .5, "11402": .5}), _s(.4, "11102", "59"))),
        (0.08, "11", False, (_s(.3, "99213", "25"), _s(1, "17110"))),
        (0.05, "11", False, (_s(1, {"99203": .3, "99213": .4, "99214": .3}),)),
        (0.08, "11", False, (_s(1, "99213", "25"), _s(1, "11900"), _s(.6, "J3301", units=(1, 2)))),
    ),
    "physical therapy": (
        (0.12, "11", False, (_s(1, {"97161": .4, "97162": .45, "97163": .15}, "GP"), _s(.7, "97110", "GP", units=(1, 2)))),
        (0.72, "11", False, (_s(1, "97110", "GP", units=(1, 3)), _s(.8, "97140", "GP", {"": .6, "59": .4}, (1, 2)),
                             _s(.55, "97112", "GP", units=(1, 2)), _s(.5, "97530", "GP", units=(1, 2)),
                             _s(.3, "97010", "GP"), _s(.25, "G0283", "GP"), _s(.1, "97035", "GP"))),
        (0.08, "11", False, (_s(1, "97164", "GP"), _s(1, "97110", "GP", units=(2, 2)))),
        (0.08, "11", False, (_s(1, "97110", "GP", units=(1, 2)), _s(1, "97140", "GP"))),
    ),
    "gastroenterology": (
        (0.22, "11", False, (_s(1, {"99203": .25, "99204": .25, "99213": .25, "99214": .25}), _s(.35, "36415"),
                             _s(.3, "85025"))),
        (0.07, "24", False, (_s(1, "G0121"),)),
        (0.13, "24", False, (_s(1, "45378", {"33": .6, "": .4}),)),
        (0.24, "24", False, (_s(1, {"45380": .55, "45385": .45}, {"PT": .35, "": .65}), _s(.35, "45385", "59"))),
        (0.18, "24", False, (_s(1, "43239"), _s(.45, "45380", "59"))),
        (0.03, "11", False, (_s(1, "91110"),)),
        (0.13, "11", False, (_s(1, "99214"), _s(.7, "36415"), _s(.6, "80053"), _s(.4, "85025"))),
    ),
}

# --------------------------------------------------------------------------------------------------
# Denial causes: key -> (taxonomy category, scope, options). An option is (CARC, weight, line
# preference, [(RARC or "", weight), ...]). scope "claim" denies every line (and may come as a
# claim-level-only remit), "line" one line chosen by the preference. docs/demo-data.md has the table.
CAUSES = {
    "eligibility": ("eligibility", "claim", (("27", .40, "any", (("", 1),)), ("31", .30, "any", (("", 1),)),
                                             ("26", .12, "any", (("", 1),)), ("177", .18, "any", (("N30", 1),)))),
    "cob": ("coordination_of_benefits", "claim", (("22", .80, "any", (("", .6), ("N479", .4))),
                                                  ("16", .20, "any", (("MA04", 1),)))),
    "coding": ("coding_modifier", "line", (("4", .33, "mod", (("", .5), ("N519", .5))),
                                           ("11", .25, "any", (("", .4), ("M76", .6))),
                                           ("181", .10, "any", (("N56", 1),)), ("182", .07, "mod", (("", 1),)),
                                           ("189", .03, "proc", (("", 1),)),
                                           ("16", .12, "any", (("N657", .5), ("M76", .5))),
                                           ("B15", .10, "addon", (("", 1),)))),
    "bundling": ("bundling", "line", (("97", .62, "nonfirst", (("", .3), ("M15", .4), ("N20", .3))),
                                      ("234", .38, "nonfirst", (("", .5), ("N20", .5))))),
    "medical_necessity": ("medical_necessity", "line", (("50", .62, "proc", (("", .45), ("N115", .35), ("N386", .20))),
                                                        ("167", .22, "proc", (("", 1),)),
                                                        ("150", .08, "em", (("M25", 1),)),
                                                        ("151", .08, "proc", (("", 1),)))),
    "missing_info_claim": ("missing_information", "claim", (("16", 1, "any", (("MA130", .6), ("N290", .4))),)),
    "missing_info_line": ("missing_information", "line", (("16", 1, "proc", (("M127", .5), ("N706", .2), ("N265", .3))),)),
    "duplicate": ("duplicate", "claim", (("18", 1, "any", (("", .7), ("M86", .3))),)),
    "non_covered": ("non_covered", "line", (("96", .45, "proc", (("N130", .7), ("", .3))),
                                            ("204", .33, "proc", (("N130", .5), ("", .5))),
                                            ("55", .05, "proc", (("", 1),)), ("56", .05, "proc", (("", 1),)),
                                            ("119", .12, "proc", (("N130", 1),)))),
    "credentialing": ("credentialing", "claim", (("B7", .8, "any", (("", .5), ("N570", .5))),
                                                 ("16", .2, "any", (("N570", 1),)))),
    # causes driven by mechanisms rather than drawn from the mix
    "auth_missing": ("authorization", "auth", (("197", .82, "any", (("M62", .65), ("", .35))),
                                               ("15", .18, "any", (("M62", 1),)))),
    "auth_mismatch": ("authorization", "auth", (("198", .5, "any", (("N54", .5), ("", .5))),
                                                ("197", .5, "any", (("N54", 1),)))),
    "timely_filing": ("timely_filing", "claim", (("29", 1, "any", (("", 1),)),)),
    "modifier_25": ("coding_modifier", "line", (("4", .75, "em25", (("", .6), ("N519", .4))),
                                                ("97", .25, "em25", (("M80", 1),)))),
    "documentation": ("medical_necessity", "line", (("50", 1, "proc", (("M25", .55), ("N115", .30), ("N386", .15))),)),
}
CAUSE_KEYS = tuple(CAUSES)
MIX_CAUSES = CAUSE_KEYS[:10]    # drawn per claim from the payer-class mix below
PAYER_CLASS_LIST = ("commercial", "medicare", "medicare_advantage", "medicaid", "managed_medicaid",
                    "workers_comp", "self_pay", "other")
# share of each mixed cause in a payer class's denials (rows sum to 1), in MIX_CAUSES order
CAUSE_MIX = {
    "commercial":         (.16, .07, .17, .12, .10, .10, .08, .04, .12, .04),
    "medicare":           (.08, .09, .17, .16, .18, .12, .08, .05, .05, .02),
    "medicare_advantage": (.12, .06, .16, .13, .15, .10, .10, .04, .10, .04),
    "medicaid":           (.26, .08, .15, .10, .08, .13, .06, .04, .07, .03),
    "managed_medicaid":   (.24, .07, .15, .10, .08, .12, .08, .04, .08, .04),
    "workers_comp":       (.10, .05, .12, .10, .20, .12, .15, .04, .10, .02),
    "self_pay":           (.10, .10, .10, .10, .10, .10, .10, .10, .10, .10),
    "other":              (.15, .08, .15, .10, .12, .14, .10, .04, .08, .04),
}
# specialty multipliers of a mixed cause (missing = 1)
SPECIALTY_CAUSE_FACTOR = {
    "orthopedics": {"bundling": 1.5, "coding": 1.2, "medical_necessity": 0.8},
    "family medicine": {"bundling": 0.9, "medical_necessity": 0.7, "non_covered": 1.2},
    "cardiology": {"medical_necessity": 2.6, "coding": 0.9},
    "behavioral health": {"eligibility": 1.5, "credentialing": 1.6, "bundling": 0.5, "medical_necessity": 0.6,
                          "missing_info_line": 0.6},
    "pediatrics": {"coding": 1.3, "eligibility": 1.2, "medical_necessity": 0.3},
    "dermatology": {"bundling": 1.4, "non_covered": 1.6, "medical_necessity": 0.8},
    "physical therapy": {"medical_necessity": 1.6, "non_covered": 1.5, "bundling": 1.3},
    "gastroenterology": {"coding": 1.3, "non_covered": 1.2},
}
ELIGIBILITY_MONTH_FACTOR = (3.0, 2.0, 1.3, 1, 1, 1, 1, 1, 1, 1, 1, 1)   # January eligibility spike
NEW_PROVIDER_CREDENTIALING = (120, 0.18)   # first days after joining, extra B7 probability (non-Medicare)
AUTH_MISSING_BASE = 0.05          # share of auth-requiring claims sent without an authorization number
AUTH_MISSING_DENIED = 0.90        # ... of which the payer denies
AUTH_MISMATCH = 0.012             # auth on the claim but not matching what was billed
LINELESS_SHARE = {"medicaid": 0.35, "managed_medicaid": 0.35}   # claim-scope denials sent without SVC lines (else 0.15)
DENIED_STATUS_4 = 0.55            # fully denied claims reported as CLP02=4 (else 1 with $0 paid); Medicare 0.25
REJECTION_RATE = 0.028            # rejected before adjudication (277CA); x1.5 in January; x1.3 behavioral health
RESUBMITTED_AFTER_REJECTION = 0.92
LOST_CLAIM_RATE = 0.004           # never reached the payer; resent 45-200 days later
RECOUPMENT_RATE = 0.003           # paid claims reversed (22) and re-adjudicated lower later
RECOUPED_DENIED_EVERY = 3         # every 3rd of them (by position, no random draw) re-adjudicated denied: a
                                  # post-payment review that takes the payment back (CO-50, status 4)

# What happens after an initial denial, by cause: (corrected claim, appeal, write-off); the rest is never worked
ACTIONS = {
    "eligibility": (.28, .03, .08), "cob": (.30, .04, .05), "coding": (.38, .08, .05),
    "bundling": (.12, .22, .10), "medical_necessity": (.03, .32, .10), "missing_info_claim": (.45, .02, .04),
    "missing_info_line": (.20, .20, .05), "duplicate": (.08, .10, .12), "non_covered": (.02, .08, .25),
    "credentialing": (.10, .35, .08), "auth_missing": (0, .30, .24), "auth_mismatch": (0, .35, .15),
    "timely_filing": (0, .08, .78), "modifier_25": (.05, .30, .06), "documentation": (0, .30, .08),
}
APPEAL_CAUSE_FACTOR = {
    "eligibility": .5, "cob": .9, "coding": 1.1, "bundling": 1.0, "medical_necessity": 1.0,
    "missing_info_claim": .9, "missing_info_line": 1.2, "duplicate": 1.0, "non_covered": .4, "credentialing": 1.5,
    "auth_missing": .6, "auth_mismatch": .9, "timely_filing": .35, "modifier_25": 1.2, "documentation": .8,
}
CORRECTED_PAID = 0.82             # corrected claims paid on resubmission (else denied again)

# --------------------------------------------------------------------------------------------------
# The four planted stories (dates are relative to `end`; docs/demo-data.md explains each).
STORIES = {
    "auth_breakdown": dict(site="ORTHO-N", days_before_end=152, missing_auth_share_after=0.42,
                           missing_auth_share_before=AUTH_MISSING_BASE, carcs=("197", "15"), rarc="M62"),
    "modifier_25": dict(payer="SUMMIT", days_before_end=91, denied_share=0.35, carcs=("4", "97"),
                        rarcs=("N519", "M80")),
    "documentation": dict(site="CARD-C", provider=("Marsh", "Elena"), claim_share=0.11, carc="50",
                          rarcs=("M25", "N115", "N386")),
    "timely_filing": dict(site="PEDS-E", days_before_end=63, backlog_share=0.35, lag_days=(60, 120),
                          dos_window_days=120, carc="29", write_off_share=ACTIONS["timely_filing"][2]),
}

_EPOCH = dt.date(1970, 1, 1)
_PREVENTIVE_KINDS = ("prev", "adm", "vacc")
_COPAY_KINDS = ("em", "psych", "eval", "ther")
_PROC_KINDS = ("proc", "test", "drug", "dme", "ther", "addon")
PREFS = ("any", "proc", "em", "mod", "nonfirst", "addon", "em25")
CHUNK_KINDS = ("claims", "claim_lines", "rejections", "remits", "remit_lines", "remit_adjustments",
               "remit_remarks", "appeals", "write_offs")
_LETTERS = "ASRBXCPQ"   # remit events: initial, secondary, recoup reversal, re-adjudication, reversal before a
#                         corrected claim, corrected claim, appeal payment level 1, level 2


# ================================================================================================== helpers
def _dn(d: dt.date) -> int:
    return (d - _EPOCH).days


def _mix(x) -> np.ndarray:
    """splitmix64 finalizer: a counter-based hash of uint64 values (vectorised, wraps silently)."""
    z = np.atleast_1d(np.asarray(x)).astype(np.uint64, copy=True)
    z += np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _unit(h: np.ndarray) -> np.ndarray:
    return (h >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)


def _pick(u: np.ndarray, cum: np.ndarray) -> np.ndarray:
    """Index drawn per row from row-wise cumulative probabilities (last column = 1)."""
    return (u[:, None] >= cum).sum(axis=1)


def _cum(weights: np.ndarray) -> np.ndarray:
    w = np.asarray(weights, dtype=np.float64)
    c = np.cumsum(w, axis=-1)
    tot = c[..., -1:]
    c = np.divide(c, tot, out=np.ones_like(c), where=tot > 0)
    c[..., -1] = 1.0
    return c


def _alts(spec) -> list[tuple[str, float]]:
    if spec is None:
        return [("", 1.0)]
    if isinstance(spec, str):
        return [(spec, 1.0)]
    return list(spec.items())


def _month(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) % 12 + 1


def _year(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970


def _weekday(days: np.ndarray) -> np.ndarray:
    return (days + 3) % 7        # Monday = 0 (1970-01-01 was a Thursday)


def _bizday(days: np.ndarray) -> np.ndarray:
    return days + np.array([0, 0, 0, 0, 0, 2, 1])[_weekday(days)]


def npi_check_digit(first9: str) -> int:
    """Luhn check digit of an NPI (the 9 digits prefixed with 80840, as CMS specifies)."""
    total = 0
    for i, ch in enumerate(reversed("80840" + first9)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10


def npi_is_valid(npi: str) -> bool:
    return len(npi) == 10 and npi.isascii() and npi.isdigit() and npi_check_digit(npi[:9]) == int(npi[9])


def _holiday_factors(years) -> dict[int, float]:
    """Day number -> volume multiplier for US holidays (observed) and the Christmas week."""
    out: dict[int, float] = {}

    def nth(y, m, weekday, n):          # n-th weekday of a month (n = -1: last)
        days = [d for d in range(1, calendar.monthrange(y, m)[1] + 1) if dt.date(y, m, d).weekday() == weekday]
        return dt.date(y, m, days[n])

    def observed(d):
        return d - dt.timedelta(days=1) if d.weekday() == 5 else d + dt.timedelta(days=1) if d.weekday() == 6 else d

    for y in years:
        for d in range(26, 31):
            out[_dn(dt.date(y, 12, d))] = 0.75
        for d, f in ((observed(dt.date(y, 1, 1)), .05), (nth(y, 1, 0, 2), .6), (nth(y, 2, 0, 2), .7),
                     (nth(y, 5, 0, -1), .05), (observed(dt.date(y, 6, 19)), .5), (observed(dt.date(y, 7, 4)), .05),
                     (nth(y, 9, 0, 0), .05), (nth(y, 11, 3, 3), .03), (nth(y, 11, 3, 3) + dt.timedelta(days=1), .45),
                     (dt.date(y, 12, 24), .35), (observed(dt.date(y, 12, 25)), .03), (dt.date(y, 12, 31), .5)):
            out[_dn(d)] = f
    return out


# ================================================================================================== context
class _Ref:
    """Reference data and lookup tables, independent of `seed` (names, NPIs, codes, fee schedules)."""

    def __init__(self) -> None:
        rng = np.random.Generator(np.random.PCG64(_REF_SEED))
        self.n_sites = len(SITES)
        self.site_spec = [s[2] for s in SITES]
        used: set[str] = set()

        def new_npi() -> str:
            while True:
                first9 = "1" + "".join(str(d) for d in rng.integers(0, 10, 8))
                npi = first9 + str(npi_check_digit(first9))
                if npi not in used:
                    used.add(npi)
                    return npi

        self.site_npi = [new_npi() for _ in SITES]
        self.site_tin = ["".join(str(d) for d in rng.integers(0, 10, 9)) for _ in SITES]
        # providers
        prov_rows = []
        for si, (sid, *_rest) in enumerate(SITES):
            for last, first, w, joined, left in PROVIDERS[sid]:
                prov_rows.append((new_npi(), f"{last}, {first}", SITES[si][2], sid, si, w, joined, left))
        self.providers = prov_rows
        self.prov_npi = np.array([p[0] for p in prov_rows])
        self.prov_site = np.array([p[4] for p in prov_rows])
        self.prov_weight = np.array([p[5] for p in prov_rows])
        self.prov_joined = [p[6] for p in prov_rows]     # days before end
        self.prov_left = [p[7] for p in prov_rows]
        self.site_prov_start = np.array([int(np.argmax(self.prov_site == s)) for s in range(self.n_sites)])
        pmax = max(int((self.prov_site == s).sum()) for s in range(self.n_sites))
        w_all = np.zeros((self.n_sites, pmax))
        w_core = np.zeros((self.n_sites, pmax))
        for i, p in enumerate(prov_rows):
            s = p[4]
            j = i - self.site_prov_start[s]
            w_all[s, j] = p[5]
            w_core[s, j] = p[5] if p[6] is None and p[7] is None else 0.0
        self.prov_cum, self.core_cum = _cum(w_all), _cum(w_core)
        # payers
        self.n_payers = len(PAYERS)
        self.payer_class = np.array([PAYER_CLASS_LIST.index(p[2]) for p in PAYERS])
        self.payer_base = np.array([p[5] for p in PAYERS])
        self.payer_lag = np.array([p[6] for p in PAYERS], dtype=np.float64)
        self.payer_win = np.array([p[8] for p in PAYERS])
        self.payer_tf = np.array([p[4] or 36500 for p in PAYERS])
        self.payer_window = np.array([p[3] or 36500 for p in PAYERS])
        self.payer_auth = np.array([p[11] for p in PAYERS])
        self.payer_seq = np.array([p[13] for p in PAYERS])
        off = np.zeros((self.n_payers, 7), dtype=np.int64)
        for pi, p in enumerate(PAYERS):
            ok = ["MTWRFSU"[k] in p[7] for k in range(7)]
            for wd in range(7):
                off[pi, wd] = next(k for k in range(7) if ok[(wd + k) % 7])
        self.pay_off = off
        self.pid = {p: i for i, p in enumerate(PAYER_IDS)}
        mix = np.zeros((self.n_sites, self.n_payers))
        for si, sid in enumerate(SITE_IDS):
            for p, w in SITE_PAYER_MIX[sid].items():
                mix[si, self.pid[p]] = w
        self.site_payer_cum = _cum(mix)
        # codes and fee schedules
        self.code_charge = np.array([CODES[c][0] * 100 for c in CODE_LIST], dtype=np.int64)
        self.code_kind = np.array([KINDS_LIST.index(CODES[c][1]) for c in CODE_LIST])
        self.code_auth = np.array([bool(CODES[c][2]) for c in CODE_LIST])
        ratio = np.array([p[9] for p in PAYERS])[:, None] * rng.uniform(0.88, 1.12, (self.n_payers, len(CODE_LIST)))
        kind_boost = np.where(np.isin(self.code_kind, [KINDS_LIST.index(k) for k in ("vacc", "drug")]), 1.35, 1.0)
        self.fee_ratio = np.minimum(ratio * kind_boost[None, :], 0.95)
        self.is_prev = np.isin(self.code_kind, [KINDS_LIST.index(k) for k in _PREVENTIVE_KINDS])
        self.is_copay = np.isin(self.code_kind, [KINDS_LIST.index(k) for k in _COPAY_KINDS])
        self.is_proc = np.isin(self.code_kind, [KINDS_LIST.index(k) for k in _PROC_KINDS])
        self.is_em = self.code_kind == KINDS_LIST.index("em")
        self.is_addon = self.code_kind == KINDS_LIST.index("addon")
        self.is_tele_kind = np.isin(self.code_kind, [KINDS_LIST.index(k) for k in ("em", "psych", "addon")])
        self._templates()
        self._causes()

    def _templates(self) -> None:
        specs = [s[2] for s in SITES]
        t_weight, t_pos, t_tele, t_spec = [], [], [], []
        slots = []
        t_slot_start, t_nslots = [], []
        for si, spec in enumerate(specs):
            for w, pos, tele, sl in TEMPLATES[spec]:
                assert any(s[0] >= 1 for s in sl), f"template of {spec} may have no line"
                t_spec.append(si)
                t_weight.append(w)
                t_pos.append(_alts(pos))
                t_tele.append(tele)
                t_slot_start.append(len(slots))
                t_nslots.append(len(sl))
                slots.extend(sl)
        self.t_spec = np.array(t_spec)
        self.t_tele = np.array(t_tele)
        self.t_slot_start = np.array(t_slot_start)
        self.t_nslots = np.array(t_nslots)
        kp = max(len(p) for p in t_pos)
        self.t_pos = np.zeros((len(t_pos), kp), dtype=np.int64)
        wp = np.zeros((len(t_pos), kp))
        for i, alts in enumerate(t_pos):
            for j, (p, w) in enumerate(alts):
                self.t_pos[i, j], wp[i, j] = POS_LIST.index(p), w
        self.t_pos_cum = _cum(wp)
        ntm = max(int((self.t_spec == s).sum()) for s in range(self.n_sites))
        self.spec_t_start = np.array([int(np.argmax(self.t_spec == s)) for s in range(self.n_sites)])
        wt = np.zeros((self.n_sites, ntm))
        for i, s in enumerate(t_spec):
            wt[s, i - self.spec_t_start[s]] = t_weight[i]
        self.spec_t_cum = _cum(wt)
        n = len(slots)
        self.slot_p = np.array([s[0] for s in slots], dtype=np.float64)
        self.slot_units = np.array([s[4] for s in slots], dtype=np.int64)

        def table(col, index_of):
            alts = [_alts(s[col]) for s in slots]
            k = max(len(a) for a in alts)
            idx = np.zeros((n, k), dtype=np.int64)
            w = np.zeros((n, k))
            for i, a in enumerate(alts):
                for j, (v, wt_) in enumerate(a):
                    idx[i, j], w[i, j] = index_of(v), wt_
            return idx, _cum(w)

        self.slot_code, self.slot_code_cum = table(1, CODE_LIST.index)
        self.slot_m1, self.slot_m1_cum = table(2, MODIFIERS.index)
        self.slot_m2, self.slot_m2_cum = table(3, MODIFIERS.index)

    def _causes(self) -> None:
        carcs, rarcs, causes, prefs, weights, rarc_rows = [], [], [], [], [], []
        self.cause_opt_start, self.cause_nopt = [], []
        for ci, key in enumerate(CAUSE_KEYS):
            _cat, _scope, opts = CAUSES[key]
            self.cause_opt_start.append(len(carcs))
            self.cause_nopt.append(len(opts))
            for carc, w, pref, rr in opts:
                assert carc in DEMO_CARCS, carc
                carcs.append(carc)
                causes.append(ci)
                prefs.append(pref)
                weights.append(w)
                rarc_rows.append(rr)
                for r, _ in rr:
                    assert r == "" or r in DEMO_RARCS, r
        self.cause_opt_start = np.array(self.cause_opt_start)
        self.cause_nopt = np.array(self.cause_nopt)
        nopt_max = int(self.cause_nopt.max())
        w = np.zeros((len(CAUSE_KEYS), nopt_max))
        for i, (c, wt) in enumerate(zip(causes, weights)):
            w[c, i - self.cause_opt_start[c]] = wt
        self.cause_opt_cum = _cum(w)
        self.opt_carc = np.array([DEMO_CARCS.index(c) for c in carcs])
        self.opt_pref = np.array([PREFS.index(x) for x in prefs])
        self.opt_cause = np.array(causes)
        kr = max(len(r) for r in rarc_rows)
        self.opt_rarc = np.full((len(carcs), kr), -1, dtype=np.int64)
        wr = np.zeros((len(carcs), kr))
        for i, rr in enumerate(rarc_rows):
            for j, (r, wt) in enumerate(rr):
                self.opt_rarc[i, j] = DEMO_RARCS.index(r) if r else -1
                wr[i, j] = wt
        self.opt_rarc_cum = _cum(wr)
        self.cause_scope = np.array([CAUSES[k][1] for k in CAUSE_KEYS])
        specs = [s[2] for s in SITES]
        self.mix = np.array([CAUSE_MIX[c] for c in PAYER_CLASS_LIST])           # class x mixed cause
        self.spec_factor = np.array([[SPECIALTY_CAUSE_FACTOR.get(sp, {}).get(c, 1.0) for c in MIX_CAUSES]
                                     for sp in specs])
        self.actions = np.array([ACTIONS[k] for k in CAUSE_KEYS])
        self.appeal_factor = np.array([APPEAL_CAUSE_FACTOR[k] for k in CAUSE_KEYS])


_REF: _Ref | None = None


def _ref() -> _Ref:
    global _REF
    if _REF is None:
        _REF = _Ref()
    return _REF


class _Plan:
    """What depends on (claims, seed, end): the calendar, visit volumes per day and site, chunking."""

    def __init__(self, claims: int, seed: int, end: dt.date) -> None:
        r = _ref()
        self.claims, self.seed, self.end_date = claims, seed, end
        y, m = end.year - HISTORY_MONTHS // 12, end.month
        start = dt.date(y, m, min(end.day, calendar.monthrange(y, m)[1])) + dt.timedelta(days=1)
        self.start, self.end = _dn(start), _dn(end)
        days = np.arange(self.start, self.end + 1)
        nd = days.size
        wd = _weekday(days)
        month = _month(days)
        hol = _holiday_factors(range(start.year, end.year + 1))
        hf = np.array([hol.get(int(d), 1.0) for d in days])
        t = (days - self.start) / max(nd - 1, 1)
        w = np.zeros((nd, r.n_sites))
        for si, s in enumerate(SITES):
            wk = np.where(wd < 5, 1.0, np.where(wd == 5, s[6], s[7]))
            season = np.array(_SEASON.get(s[0], (1.0,) * 12))[month - 1]
            w[:, si] = s[4] * wk * hf * (1 + s[5] * t) * season
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, 0])))
        counts = rng.multinomial(claims, (w / w.sum()).ravel())
        self.cum = np.cumsum(counts)
        per_site = counts.reshape(nd, r.n_sites).sum(axis=0)
        self.pool = np.maximum(40, np.rint(per_site / np.array([s[8] for s in SITES]))).astype(np.int64)
        self.pool_offset = np.cumsum(self.pool) - self.pool
        self.salt = int(_mix(np.uint64(seed) ^ np.uint64(0x5DEECE66D))[0])
        self.chunks = [(lo, min(lo + CHUNK_CLAIMS, claims)) for lo in range(0, claims, CHUNK_CLAIMS)]
        # story dates and indices
        self.s1_site = SITE_IDS.index(STORIES["auth_breakdown"]["site"])
        self.s1_from = self.end - STORIES["auth_breakdown"]["days_before_end"]
        self.s2_payer = r.pid[STORIES["modifier_25"]["payer"]]
        self.s2_from = self.end - STORIES["modifier_25"]["days_before_end"]
        last, first = STORIES["documentation"]["provider"]
        self.s3_prov = next(i for i, p in enumerate(r.providers) if p[1] == f"{last}, {first}")
        self.s4_site = SITE_IDS.index(STORIES["timely_filing"]["site"])
        self.s4_from = self.end - STORIES["timely_filing"]["days_before_end"]
        self.prov_from = np.array([self.end - j if j is not None else -10**9 for j in r.prov_joined])
        self.prov_to = np.array([self.end - j if j is not None else 10**9 for j in r.prov_left])


# ================================================================================================== remit parts
_LN_FIELDS = ("ev", "lno", "code", "m1", "m2", "units", "charge", "paid", "co45", "pr1", "pr2", "pr3", "co253",
              "oa23", "d1c", "d1a", "d2c", "d2a", "rarc", "day")
_ADJ_COMPONENTS = (("co45", 0, "45"), ("pr1", 1, "1"), ("pr2", 1, "2"), ("pr3", 1, "3"), ("co253", 0, "253"),
                   ("oa23", 2, "23"))


class _Remits:
    """Remit events of one chunk, added in parts (initial adjudications, secondaries, reversals ...)."""

    def __init__(self) -> None:
        self.ev: list[dict] = []
        self.ln: list[dict] = []
        self.cadj: list[dict] = []
        self.crmk: list[dict] = []
        self.n = 0

    def add(self, ev: dict, ln: dict | None = None, cadj: dict | None = None, crmk: dict | None = None) -> None:
        size = len(ev["claim"])
        if size == 0:
            return
        off = self.n
        self.ev.append(ev)
        if ln is not None and len(ln["ev"]):
            self.ln.append({**ln, "ev": ln["ev"] + off})
        if cadj is not None and len(cadj["ev"]):
            self.cadj.append({**cadj, "ev": cadj["ev"] + off})
        if crmk is not None and len(crmk["ev"]):
            self.crmk.append({**crmk, "ev": crmk["ev"] + off})
        self.n += size


def _cat(parts: list[dict], keys) -> dict:
    return {k: np.concatenate([p[k] for p in parts]) if parts else np.zeros(0, dtype=np.int64) for k in keys}


def _negate_lines(ln: dict) -> dict:
    out = dict(ln)
    for k in ("charge", "paid", "co45", "pr1", "pr2", "pr3", "co253", "oa23", "d1a", "d2a"):
        out[k] = -ln[k]
    return out


# ================================================================================================== chunk
def _chunk(plan: _Plan, k: int, lo: int, hi: int, emit: Callable[[str, pl.DataFrame], None]) -> None:
    """Generate claims [lo, hi) with everything that happens to them; emit(kind, frame) each file's rows."""
    r = _ref()
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([plan.seed, k])))
    end = plan.end
    gidx = np.arange(lo, hi, dtype=np.int64)
    cell = np.searchsorted(plan.cum, gidx, side="right")
    day = plan.start + cell // r.n_sites
    site = cell % r.n_sites
    n = gidx.size

    # ---------------------------------------------------------------- who, for whom, billed to whom
    prov = r.site_prov_start[site] + _pick(rng.random(n), r.prov_cum[site])
    core = r.site_prov_start[site] + _pick(rng.random(n), r.core_cum[site])
    prov = np.where((day < plan.prov_from[prov]) | (day > plan.prov_to[prov]), core, prov)
    pat = plan.pool_offset[site] + np.floor(plan.pool[site] * rng.random(n) ** 1.4).astype(np.int64)
    ph = _mix(pat.astype(np.uint64) ^ np.uint64(plan.salt))
    year = _year(day)
    month = _month(day)
    hy = _mix(ph ^ (year.astype(np.uint64) * np.uint64(1_000_003)))
    upay = np.where(_unit(hy) < PATIENT_SWITCH_SHARE, _unit(_mix(hy + np.uint64(7))), _unit(_mix(ph + np.uint64(1))))
    payer = _pick(upay, r.site_payer_cum[site])
    pclass = r.payer_class[payer]
    mcr = r.pid["MCR"]
    has_secondary = (payer == mcr) & (_unit(_mix(ph + np.uint64(3))) < MEDICARE_SECONDARY_SHARE)
    sec_payer = np.where(_unit(_mix(ph + np.uint64(5))) < 0.3, r.pid["TXMCD"], r.pid["BCX"])

    # ---------------------------------------------------------------- submission (and the story 4 backlog)
    lag = 1 + np.minimum(rng.poisson(np.array([s[9] for s in SITES])[site] - 1), 9)
    lag = lag + np.where(rng.random(n) < 0.02, rng.integers(5, 16, n), 0)
    sub = _bizday(day + lag)
    s4 = STORIES["timely_filing"]
    backlog = ((site == plan.s4_site) & (day >= plan.s4_from - s4["dos_window_days"])
               & (rng.random(n) < s4["backlog_share"]))
    late_sub = np.maximum(day + rng.integers(s4["lag_days"][0], s4["lag_days"][1] + 1, n),
                          plan.s4_from + rng.integers(0, 11, n))
    sub = np.where(backlog, _bizday(late_sub), sub)
    billed = sub <= end                              # encounters not billed by `end` are not in the files
    keep = np.flatnonzero(billed)
    gidx, day, site, prov, pat, ph, year, month, payer, pclass, has_secondary, sec_payer, sub, backlog = (
        a[keep] for a in (gidx, day, site, prov, pat, ph, year, month, payer, pclass, has_secondary, sec_payer,
                          sub, backlog))
    n = gidx.size
    spec = site
    if n == 0:                                       # nothing billed yet (only possible for tiny sizes)
        for kind in CHUNK_KINDS:
            emit(kind, _empty(kind))
        return

    # ---------------------------------------------------------------- lines
    tmpl = r.spec_t_start[spec] + _pick(rng.random(n), r.spec_t_cum[spec])
    cnt = r.t_nslots[tmpl]
    rep = np.repeat(np.arange(n), cnt)
    pos_in = np.arange(rep.size) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    slot = r.t_slot_start[tmpl][rep] + pos_in
    inc = rng.random(rep.size) < r.slot_p[slot]
    rep, slot = rep[inc], slot[inc]
    nl_all = rep.size
    code = r.slot_code[slot, _pick(rng.random(nl_all), r.slot_code_cum[slot])]
    m1 = r.slot_m1[slot, _pick(rng.random(nl_all), r.slot_m1_cum[slot])]
    m2 = r.slot_m2[slot, _pick(rng.random(nl_all), r.slot_m2_cum[slot])]
    ulo, uhi = r.slot_units[slot, 0], r.slot_units[slot, 1]
    units = ulo + np.floor(rng.random(nl_all) * (uhi - ulo + 1)).astype(np.int64)
    nlines = np.bincount(rep, minlength=n)
    first = np.cumsum(nlines) - nlines
    lno = np.arange(nl_all) - first[rep] + 1
    tele = r.t_tele[tmpl] & (rng.random(n) < np.array([s[10] for s in SITES])[site])
    pos = r.t_pos[tmpl, _pick(rng.random(n), r.t_pos_cum[tmpl])]
    pos = np.where(tele, POS_LIST.index("10"), pos)
    telemod = np.where(rng.random(n) < 0.8, MODIFIERS.index("95"), MODIFIERS.index("GT"))
    tl = tele[rep] & r.is_tele_kind[code]
    put1 = tl & (m1 == 0)
    put2 = tl & (m1 != 0) & (m2 == 0)
    m1 = np.where(put1, telemod[rep], m1)
    m2 = np.where(put2, telemod[rep], m2)
    yi = year - _year(np.array([plan.start]))[0]
    charge = np.rint(r.code_charge[code] * (1.04 ** yi[rep]) / 100).astype(np.int64) * 100 * units
    claim_charge = np.add.reduceat(charge, first)

    # ---------------------------------------------------------------- rejections, lost claims, adjudication date
    rej_p = REJECTION_RATE * np.where(month == 1, 1.5, 1.0) * np.where(site == SITE_IDS.index("BH-W"), 1.3, 1.0)
    rej = rng.random(n) < rej_p
    rcode = _pick(rng.random(n), _cum(np.array([[x[3] for x in REJECTIONS]]))[np.zeros(n, dtype=np.int64)])
    rcode = np.where((month == 1) & (rng.random(n) < 0.4), 1, rcode)       # January: new member ids
    from_ch = np.array([x[2] == "clearinghouse" for x in REJECTIONS])[rcode]
    rej_day = sub + np.where(from_ch, rng.integers(0, 2, n), rng.integers(2, 6, n))
    resub = rng.random(n) < RESUBMITTED_AFTER_REJECTION
    eff = np.where(rej, _bizday(rej_day + rng.integers(1, 13, n)), sub)
    rej2 = rej & resub & (rng.random(n) < 0.08)
    rcode2 = _pick(rng.random(n), _cum(np.array([[x[3] for x in REJECTIONS]]))[np.zeros(n, dtype=np.int64)])
    rej2_day = eff + rng.integers(1, 4, n)
    eff = np.where(rej2, _bizday(rej2_day + rng.integers(1, 11, n)), eff)
    abandoned = rej & ~resub
    lost = ~rej & (rng.random(n) < LOST_CLAIM_RATE)
    eff = np.where(lost, _bizday(eff + rng.integers(45, 201, n)), eff)
    late = (eff - day) > r.payer_tf[payer]
    adj_lag = np.maximum(6, np.rint(rng.gamma(5.0, r.payer_lag[payer] / 5.0))).astype(np.int64)
    adj_lag = np.where(late, rng.integers(5, 13, n), adj_lag)
    adj_day = eff + adj_lag
    remit_day = adj_day + r.pay_off[payer, _weekday(adj_day)]
    adjudicated = ~abandoned & (remit_day <= end)

    # ---------------------------------------------------------------- prior authorization
    line_auth = r.code_auth[code] & r.payer_auth[payer][rep]
    needs_auth = np.bincount(rep, weights=line_auth, minlength=n) > 0
    s1 = STORIES["auth_breakdown"]
    p_miss = np.where((site == plan.s1_site) & (day >= plan.s1_from), s1["missing_auth_share_after"],
                      AUTH_MISSING_BASE)
    missing_auth = needs_auth & (rng.random(n) < p_miss)
    referral = np.isin(payer, [r.pid["UNITY"], r.pid["VACCN"]]) & (rng.random(n) < 0.25)
    has_auth = (needs_auth & ~missing_auth) | (referral & ~missing_auth)
    auth_no = (gidx * 7919 + 104729) % 100_000_000

    # ---------------------------------------------------------------- would-be payment of every line
    L = nl_all
    lpayer = payer[rep]
    allowed = np.rint(charge * r.fee_ratio[lpayer, code]).astype(np.int64)
    prev = r.is_prev[code]
    cls_name = np.array(PAYER_CLASS_LIST)[pclass]
    commercial = cls_name == "commercial"
    medicare = cls_name == "medicare"
    ma = cls_name == "medicare_advantage"
    ded_month = np.array([.42, .32, .22, .16, .12, .10, .09, .08, .07, .06, .05, .05])[month - 1]
    mcr_month = np.array([.55, .35, .18, .10, .07, .05, .04, .04, .03, .03, .03, .03])[month - 1]
    ded_prob = np.where(commercial, ded_month, np.where(medicare, mcr_month, np.where(ma, ded_month * 0.3, 0.0)))
    has_ded = rng.random(n) < ded_prob
    ded_amt = np.where(medicare, rng.integers(60, 258, n), np.where(ma, rng.integers(30, 301, n),
                                                                      rng.integers(40, 1201, n))) * 100
    ded_amt = np.where(has_ded, ded_amt, 0)
    a_elig = np.where(prev, 0, allowed)
    cs = np.cumsum(a_elig)
    before = cs - a_elig - (cs[first] - a_elig[first])[rep]
    ded = np.clip(ded_amt[rep] - before, 0, a_elig)
    copay_tier = ((ph >> np.uint64(20)) % np.uint64(4)).astype(np.int64)
    copay_c = np.where(commercial, np.array([2000, 3000, 4000, 5000])[copay_tier],
                       np.where(ma, np.array([0, 1000, 2000, 3500])[copay_tier], 0))
    cop_line = r.is_copay[code] & ~prev
    cop_idx = np.flatnonzero(cop_line)
    _, first_cop = np.unique(rep[cop_idx], return_index=True)
    cop_first = np.zeros(L, dtype=bool)
    cop_first[cop_idx[first_cop]] = True
    copay = np.where(cop_first, np.minimum(copay_c[rep], allowed - ded), 0)
    coins_plan = np.where(commercial, _unit(_mix(ph + np.uint64(11))) < 0.55,
                          np.where(ma, _unit(_mix(ph + np.uint64(13))) < 0.40, medicare))
    coins_line = coins_plan[rep] & ~prev & (medicare[rep] | ~cop_first)
    coins = np.where(coins_line, np.rint(0.2 * (allowed - ded - copay)), 0).astype(np.int64)
    seq = np.where(r.payer_seq[lpayer], np.rint(0.02 * (allowed - ded - copay - coins)), 0).astype(np.int64)
    wb_paid = allowed - ded - copay - coins - seq

    # ---------------------------------------------------------------- denials on the initial adjudication
    ln_cause = np.full(L, -1, dtype=np.int64)
    ln_opt = np.full(L, -1, dtype=np.int64)
    ln_rarc = np.full(L, -1, dtype=np.int64)
    cl_rarc = np.full(n, -1, dtype=np.int64)

    def choose_option(cause_idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        local = _pick(rng.random(cause_idx.size), r.cause_opt_cum[cause_idx])
        opt = r.cause_opt_start[cause_idx] + local
        rarc = r.opt_rarc[opt, _pick(rng.random(opt.size), r.opt_rarc_cum[opt])]
        return opt, rarc

    fits = np.stack([np.ones(L, dtype=bool), r.is_proc[code], r.is_em[code], m1 != 0, lno > 1,
                     r.is_addon[code] | (lno > 1), r.is_em[code] & (m1 == MODIFIERS.index("25"))])   # PREFS order

    def choose_line(claims_sel: np.ndarray, opt_sel: np.ndarray) -> np.ndarray:
        """One line per selected claim, preferring lines that fit the option's preference."""
        pref = np.zeros(n, dtype=np.int64)
        pref[claims_sel] = r.opt_pref[opt_sel]
        score = rng.random(L) + 2.0 * fits[pref[rep], np.arange(L)]
        order = np.lexsort((-score, rep))
        return order[first[claims_sel]]

    # mixed causes
    ci_mix = np.array([CAUSE_KEYS.index(c) for c in MIX_CAUSES])
    p = r.payer_base[payer][:, None] * r.mix[pclass] * r.spec_factor[spec]
    p[:, MIX_CAUSES.index("eligibility")] *= np.array(ELIGIBILITY_MONTH_FACTOR)[month - 1]
    p[:, MIX_CAUSES.index("bundling")] *= nlines > 1
    newp = (day - plan.prov_from[prov] < NEW_PROVIDER_CREDENTIALING[0]) & (payer != mcr)
    p[:, MIX_CAUSES.index("credentialing")] += np.where(newp, NEW_PROVIDER_CREDENTIALING[1], 0.0)
    cum = np.cumsum(p, axis=1)
    mixed = (rng.random(n)[:, None] >= cum).sum(axis=1)
    has_mixed = mixed < len(MIX_CAUSES)
    mc = np.flatnonzero(has_mixed)
    m_cause = ci_mix[mixed[mc]]
    m_opt, m_rarc = choose_option(m_cause)
    m_scope_claim = r.cause_scope[m_cause] == "claim"
    # line-level mixed causes
    sel = mc[~m_scope_claim]
    if sel.size:
        li = choose_line(sel, m_opt[~m_scope_claim])
        ln_cause[li], ln_opt[li], ln_rarc[li] = m_cause[~m_scope_claim], m_opt[~m_scope_claim], m_rarc[~m_scope_claim]
    # authorization: missing (197/15) or not matching (198/197 + N54), on the lines that need it
    deny_missing = missing_auth & (rng.random(n) < AUTH_MISSING_DENIED)
    mismatch = has_auth & needs_auth & (rng.random(n) < AUTH_MISMATCH)
    for mask, key in ((deny_missing, "auth_missing"), (mismatch, "auth_mismatch")):
        cl = np.flatnonzero(mask)
        if cl.size:
            opt, rarc = choose_option(np.full(cl.size, CAUSE_KEYS.index(key)))
            o_c = np.full(n, -1)
            r_c = np.full(n, -1)
            o_c[cl], r_c[cl] = opt, rarc
            li = np.flatnonzero(line_auth & mask[rep])
            ln_cause[li], ln_opt[li], ln_rarc[li] = CAUSE_KEYS.index(key), o_c[rep[li]], r_c[rep[li]]
    # story 3: one provider's documentation-driven CO-50
    s3 = STORIES["documentation"]
    cl = np.flatnonzero((prov == plan.s3_prov) & (rng.random(n) < s3["claim_share"]))
    if cl.size:
        opt, rarc = choose_option(np.full(cl.size, CAUSE_KEYS.index("documentation")))
        li = choose_line(cl, opt)
        ln_cause[li], ln_opt[li], ln_rarc[li] = CAUSE_KEYS.index("documentation"), opt, rarc
    # story 2: a payer starts denying E/M lines with modifier 25
    s2 = STORIES["modifier_25"]
    em25 = r.is_em[code] & (m1 == MODIFIERS.index("25"))
    li = np.flatnonzero(em25 & (payer[rep] == plan.s2_payer) & (day[rep] >= plan.s2_from)
                        & (rng.random(L) < s2["denied_share"]))
    if li.size:
        opt, rarc = choose_option(np.full(li.size, CAUSE_KEYS.index("modifier_25")))
        ln_cause[li], ln_opt[li], ln_rarc[li] = CAUSE_KEYS.index("modifier_25"), opt, rarc
    # claim-scope mixed causes, then timely filing, deny every line
    sel = mc[m_scope_claim]
    scope_cause = np.full(n, -1)
    scope_opt = np.full(n, -1)
    scope_cause[sel], scope_opt[sel], cl_rarc[sel] = m_cause[m_scope_claim], m_opt[m_scope_claim], m_rarc[m_scope_claim]
    tf = np.flatnonzero(late)
    if tf.size:
        opt, rarc = choose_option(np.full(tf.size, CAUSE_KEYS.index("timely_filing")))
        scope_cause[tf], scope_opt[tf], cl_rarc[tf] = CAUSE_KEYS.index("timely_filing"), opt, rarc
    cl_claim_scope = scope_cause >= 0
    li = np.flatnonzero(cl_claim_scope[rep])
    ln_cause[li], ln_opt[li], ln_rarc[li] = scope_cause[rep[li]], scope_opt[rep[li]], -1
    cl_rarc = np.where(cl_claim_scope, cl_rarc, -1)
    denied_ln = ln_cause >= 0

    lineless = cl_claim_scope & (rng.random(n) < np.where(np.isin(cls_name, list(LINELESS_SHARE)), 0.35, 0.15))
    # how a denied line's charge is split into CAS amounts (one CARC, CO-45 + CARC, or two CARCs)
    v = rng.random(L)
    ln_d1c = np.where(denied_ln, r.opt_carc[np.maximum(ln_opt, 0)], -1)
    k_opts = r.cause_nopt[np.maximum(ln_cause, 0)]
    local = ln_opt - r.cause_opt_start[np.maximum(ln_cause, 0)]
    other = np.floor(rng.random(L) * np.maximum(k_opts - 1, 1)).astype(np.int64)      # companion CARC of the same cause
    comp = r.cause_opt_start[np.maximum(ln_cause, 0)] + (local + 1 + other) % k_opts
    simple = (ln_cause == CAUSE_KEYS.index("timely_filing")) | lineless[rep]
    two = denied_ln & (v >= 0.93) & (k_opts > 1) & ~simple
    with45 = denied_ln & (v >= 0.74) & ~two & ~simple
    split = np.rint(charge * rng.uniform(0.5, 0.85, L)).astype(np.int64)
    den_co45 = np.where(with45, charge - allowed, 0)
    d1a = np.where(two, split, np.where(with45, allowed, charge)) * denied_ln
    d2a = np.where(two, charge - split, 0)
    d2c = np.where(two, r.opt_carc[comp], -1)

    # ---------------------------------------------------------------- initial adjudication (event A)
    remits = _Remits()
    status_of = {s: i for i, s in enumerate(STATUSES)}
    den_any = np.bincount(rep, weights=denied_ln, minlength=n) > 0
    den_all = np.bincount(rep, weights=denied_ln, minlength=n) == nlines
    a_paid_ln = np.where(denied_ln, 0, wb_paid)
    a_paid = np.bincount(rep, weights=a_paid_ln, minlength=n).astype(np.int64)
    # a paid claim of a Medicare patient with a secondary is forwarded (19), also when a line of it is
    # denied (the secondary then pays its share of the paid lines and does not list the denied one)
    crossover = has_secondary & (a_paid > 0)
    crossover_denied = crossover & den_any
    p4 = np.where(payer == mcr, 0.25, DENIED_STATUS_4)
    status_a = np.where(den_all & (rng.random(n) < p4), status_of["4"],
                        np.where(crossover, status_of["19"], status_of["1"]))
    render = rng.random(n) < 0.85

    def line_block(ev_of_claim: np.ndarray, lsel: np.ndarray, paid, co45, pr1, pr2, pr3, co253, oa23,
                   d1c, d1a_, d2c_, d2a_, rarc) -> dict:
        return dict(ev=ev_of_claim[rep[lsel]], lno=lno[lsel], code=code[lsel], m1=m1[lsel], m2=m2[lsel],
                    units=units[lsel], charge=charge[lsel], paid=paid[lsel], co45=co45[lsel], pr1=pr1[lsel],
                    pr2=pr2[lsel], pr3=pr3[lsel], co253=co253[lsel], oa23=oa23[lsel], d1c=d1c[lsel],
                    d1a=d1a_[lsel], d2c=d2c_[lsel], d2a=d2a_[lsel], rarc=rarc[lsel], day=day[rep[lsel]])

    zero = np.zeros(L, dtype=np.int64)
    none = np.full(L, -1, dtype=np.int64)
    nd = ~denied_ln
    a_cols = dict(paid=a_paid_ln, co45=np.where(nd, charge - allowed, den_co45), pr1=ded * nd, pr2=coins * nd,
                  pr3=copay * nd, co253=seq * nd, oa23=zero, d1c=ln_d1c, d1a_=d1a, d2c_=d2c, d2a_=d2a, rarc=ln_rarc)

    def events(claims_sel: np.ndarray, letter: str, payer_: np.ndarray, day_: np.ndarray, status: np.ndarray,
               charge_: np.ndarray, corrected: bool = False) -> dict:
        return dict(claim=claims_sel, letter=np.full(claims_sel.size, _LETTERS.index(letter)), payer=payer_,
                    day=day_, status=status, charge=charge_, corr=np.full(claims_sel.size, corrected),
                    render=render[claims_sel])

    ca = np.flatnonzero(adjudicated)
    ev_a = np.full(n, -1)
    ev_a[ca] = np.arange(ca.size)
    lsel = np.flatnonzero(adjudicated[rep] & ~lineless[rep])
    a_lines = line_block(ev_a, lsel, **a_cols)
    cl_less = np.flatnonzero(adjudicated & lineless)
    cadj = dict(ev=ev_a[cl_less], group=np.zeros(cl_less.size, dtype=np.int64),
                carc=r.opt_carc[scope_opt[cl_less]], amount=claim_charge[cl_less])
    cr = np.flatnonzero(adjudicated & (cl_rarc >= 0))
    crmk = dict(ev=ev_a[cr], rarc=cl_rarc[cr])
    remits.add(events(ca, "A", payer[ca], remit_day[ca], status_a[ca], claim_charge[ca]), a_lines, cadj, crmk)

    # ---------------------------------------------------------------- secondary payer after a crossover (status 19 -> 2)
    cs_ = np.flatnonzero(adjudicated & crossover)
    if cs_.size:
        sp = sec_payer[cs_]
        wait = np.zeros(n, dtype=np.int64)
        paid_in_full = np.flatnonzero(adjudicated & crossover & ~crossover_denied)
        wait[paid_in_full] = rng.integers(7, 22, paid_in_full.size)
        # the forwarded claims with a denied line draw from a generator of their own, so the chunk's draws
        # (and every other claim's story) are those of before they were forwarded
        part = np.flatnonzero(adjudicated & crossover_denied)
        wait[part] = np.random.Generator(np.random.PCG64(np.random.SeedSequence([plan.seed, k, 19]))).integers(
            7, 22, part.size)
        sday = remit_day[cs_] + wait[cs_]
        sday = sday + r.pay_off[sp, _weekday(sday)]
        ok = sday <= end
        cs_, sp, sday = cs_[ok], sp[ok], sday[ok]
        ev_s = np.full(n, -1)
        ev_s[cs_] = np.arange(cs_.size)
        lsel = np.flatnonzero((ev_s[rep] >= 0) & ~denied_ln)     # a line the primary denied is not listed
        prt = ded + coins + copay
        medigap = (sec_payer == r.pid["BCX"])[rep]
        s_paid = np.where(medigap, coins + copay, np.rint(prt * 0.5).astype(np.int64))
        s_cols = dict(paid=s_paid, co45=np.where(medigap, 0, prt - s_paid), pr1=np.where(medigap, ded, 0), pr2=zero,
                      pr3=zero, co253=zero, oa23=charge - prt, d1c=none, d1a_=zero, d2c_=none, d2a_=zero, rarc=none)
        # its claim charge is that of the lines it lists (an 835 balances CLP03 to its lines' SVC02)
        listed = np.bincount(rep[lsel], weights=charge[lsel], minlength=n).astype(np.int64)
        s_charge = np.where(crossover_denied, listed, claim_charge)
        remits.add(events(cs_, "S", sp, sday, np.full(cs_.size, status_of["2"]), s_charge[cs_]),
                   line_block(ev_s, lsel, **s_cols))

    # ---------------------------------------------------------------- recoupment: reversal (22) and lower re-adjudication
    crc = np.flatnonzero(adjudicated & ~den_any & ~crossover & (a_paid > 0) & (rng.random(n) < RECOUPMENT_RATE))
    if crc.size:
        rday = remit_day[crc] + rng.integers(30, 181, crc.size)
        rday = rday + r.pay_off[payer[crc], _weekday(rday)]
        ok = rday <= end
        crc, rday = crc[ok], rday[ok]
        ev_r = np.full(n, -1)
        ev_r[crc] = np.arange(crc.size)
        lsel = np.flatnonzero(ev_r[rep] >= 0)
        neg = _negate_lines(line_block(ev_r, lsel, **a_cols))
        remits.add(events(crc, "R", payer[crc], rday, np.full(crc.size, status_of["22"]), -claim_charge[crc]), neg)
        delta = np.rint(a_paid_ln * 0.06).astype(np.int64)
        # a post-payment review denies every 3rd recouped claim in full (chosen by position, so no random draw
        # moves the rest of the demo): its lines paid 0, the whole charge CO-50 (medical necessity)
        redeny = np.zeros(n, dtype=bool)
        redeny[crc[np.arange(crc.size) % RECOUPED_DENIED_EVERY == 0]] = True
        dn = redeny[rep]
        b_cols = dict(a_cols, paid=np.where(dn, 0, a_paid_ln - delta), co45=np.where(dn, 0, a_cols["co45"] + delta),
                      pr1=np.where(dn, 0, a_cols["pr1"]), pr2=np.where(dn, 0, a_cols["pr2"]),
                      pr3=np.where(dn, 0, a_cols["pr3"]), co253=np.where(dn, 0, a_cols["co253"]),
                      d1c=np.where(dn, DEMO_CARCS.index("50"), a_cols["d1c"]), d1a_=np.where(dn, charge, a_cols["d1a_"]),
                      d2c_=np.where(dn, -1, a_cols["d2c_"]), d2a_=np.where(dn, 0, a_cols["d2a_"]),
                      rarc=np.where(dn, -1, a_cols["rarc"]))
        remits.add(events(crc, "B", payer[crc], rday, np.where(redeny[crc], status_of["4"], status_of["1"]),
                          claim_charge[crc]), line_block(ev_r, lsel, **b_cols))

    # ---------------------------------------------------------------- after a denial: correct, appeal, write off, or nothing
    dcl = np.flatnonzero(adjudicated & den_any)
    # the claim's cause: that of its largest denied line
    key = np.where(denied_ln, charge, -1)
    order = np.lexsort((-key, rep))
    top = order[first]
    cause_c = ln_cause[top]
    den_charge = np.bincount(rep, weights=charge * denied_ln, minlength=n).astype(np.int64)
    outstanding = np.bincount(rep, weights=(d1a + d2a) * denied_ln, minlength=n).astype(np.int64)
    wb_den = np.bincount(rep, weights=wb_paid * denied_ln, minlength=n).astype(np.int64)
    act = r.actions[np.maximum(cause_c, 0)].copy()
    small = den_charge < 6000
    act[small, 0] *= 0.5
    act[small, 1] *= 0.3
    u = rng.random(n)
    action = np.where(u < act[:, 0], 1, np.where(u < act[:, 0] + act[:, 1], 2,
                                                  np.where(u < act.sum(axis=1), 3, 0)))
    action = np.where(adjudicated & den_any, action, 0)
    appeals_rows: list[dict] = []
    wo_rows: list[dict] = []

    # corrected claims (frequency 7)
    cc = np.flatnonzero(action == 1)
    corr_day = _bizday(remit_day[cc] + rng.integers(5, 41, cc.size))
    ok = corr_day <= end
    cc, corr_day = cc[ok], corr_day[ok]
    c_lag = np.maximum(6, np.rint(rng.gamma(5.0, r.payer_lag[payer[cc]] / 5.0))).astype(np.int64)
    c_day = corr_day + c_lag
    c_day = c_day + r.pay_off[payer[cc], _weekday(c_day)]
    c_paid = rng.random(cc.size) < CORRECTED_PAID
    okc = c_day <= end
    cx = cc[okc]
    if cx.size:
        ev_c = np.full(n, -1)
        ev_c[cx] = np.arange(cx.size)
        repaid = np.zeros(n, dtype=bool)
        repaid[cx] = c_paid[okc]
        rev = cx[a_paid[cx] > 0]
        if rev.size:
            ev_x = np.full(n, -1)
            ev_x[rev] = np.arange(rev.size)
            lsel = np.flatnonzero((ev_x[rep] >= 0) & ~lineless[rep])
            remits.add(events(rev, "X", payer[rev], c_day[okc][a_paid[cx] > 0],
                              np.full(rev.size, status_of["22"]), -claim_charge[rev]),
                       _negate_lines(line_block(ev_x, lsel, **a_cols)))
        lsel = np.flatnonzero(ev_c[rep] >= 0)
        pay_ln = repaid[rep] | ~denied_ln
        c_cols = dict(paid=np.where(pay_ln, wb_paid, 0), co45=np.where(pay_ln, charge - allowed, den_co45),
                      pr1=ded * pay_ln, pr2=coins * pay_ln, pr3=copay * pay_ln, co253=seq * pay_ln, oa23=zero,
                      d1c=np.where(pay_ln, -1, ln_d1c), d1a_=d1a * ~pay_ln, d2c_=np.where(pay_ln, -1, d2c),
                      d2a_=d2a * ~pay_ln, rarc=np.where(pay_ln, -1, ln_rarc))
        c_status = np.where(~repaid[cx] & den_all[cx] & (rng.random(cx.size) < DENIED_STATUS_4),
                            status_of["4"], status_of["1"])
        remits.add(events(cx, "C", payer[cx], c_day[okc], c_status, claim_charge[cx], corrected=True),
                   line_block(ev_c, lsel, **c_cols))
        # a corrected claim denied again is sometimes written off
        again = cx[~repaid[cx]]
        wday = c_day[okc][~repaid[cx]] + rng.integers(10, 41, again.size)
        okw = (wday <= end) & (rng.random(again.size) < 0.3)
        wo_rows.append(dict(claim=again[okw], day=wday[okw], amount=outstanding[again[okw]],
                            reason=np.full(int(okw.sum()), "not_worth_appeal", dtype=object)))

    # appeals (levels 1 and 2) and the payments that follow a won appeal
    ap = np.flatnonzero(action == 2)
    filed1 = _bizday(remit_day[ap] + rng.integers(7, 56, ap.size))
    ok = filed1 <= end
    ap, filed1 = ap[ok], filed1[ok]
    p_win = np.minimum(0.9, r.payer_win[payer[ap]] * r.appeal_factor[np.maximum(cause_c[ap], 0)])

    def decide(claims_sel, filed, lo_, hi_, win_p, level):
        m = claims_sel.size
        decided = filed + rng.integers(lo_, hi_ + 1, m)
        u1, u2, u3 = rng.random(m), rng.random(m), rng.random(m)
        outcome = np.where(u1 < 0.03, "withdrawn", np.where(u2 < win_p, np.where(u3 < 0.25, "partially_won", "won"),
                                                            "lost")).astype(object)
        pending = decided > end
        outcome[pending] = "pending"
        share = np.where(outcome == "won", 1.0, np.where(outcome == "partially_won", rng.uniform(0.35, 0.8, m), 0.0))
        # recovered: the would-be payment of the denied lines, times the share won (per line, in cents)
        per_line = np.zeros(L, dtype=np.int64)
        sh = np.zeros(n)
        sh[claims_sel] = share
        per_line = np.where(denied_ln, np.rint(wb_paid * sh[rep]), 0).astype(np.int64)
        recovered = np.bincount(rep, weights=per_line, minlength=n).astype(np.int64)[claims_sel]
        appeals_rows.append(dict(claim=claims_sel, level=np.full(m, level), filed=filed,
                                 decided=np.where(pending, -1, decided), outcome=outcome,
                                 recovered=np.where(pending, -1, recovered)))
        # payment remit for won / partially won appeals
        pay = np.isin(outcome, ["won", "partially_won"]) & (recovered > 0)
        pday = decided + rng.integers(5, 22, m)
        pday = pday + r.pay_off[payer[claims_sel], _weekday(pday)]
        pay &= pday <= end
        cp = claims_sel[pay]
        if cp.size:
            ev_p = np.full(n, -1)
            ev_p[cp] = np.arange(cp.size)
            lsel = np.flatnonzero((ev_p[rep] >= 0) & denied_ln)
            rest = wb_paid - per_line
            p_cols = dict(paid=per_line, co45=charge - allowed, pr1=ded, pr2=coins, pr3=copay, co253=seq, oa23=zero,
                          d1c=np.where(rest > 0, ln_d1c, -1), d1a_=np.where(rest > 0, rest, 0), d2c_=none, d2a_=zero,
                          rarc=none)
            pcharge = np.bincount(rep, weights=charge * denied_ln, minlength=n).astype(np.int64)[cp]
            remits.add(events(cp, "P" if level == 1 else "Q", payer[cp], pday[pay], np.full(cp.size, status_of["1"]),
                              pcharge), line_block(ev_p, lsel, **p_cols))
            # a small unrecovered remainder of a partial win is written off
            part = np.flatnonzero((outcome[pay] == "partially_won"))
            rem = wb_den[cp[part]] - recovered[pay][part]
            wday = pday[pay][part] + rng.integers(3, 21, part.size)
            okw = (rem > 0) & (rem < 5000) & (wday <= end) & (rng.random(part.size) < 0.6)
            wo_rows.append(dict(claim=cp[part][okw], day=wday[okw], amount=rem[okw],
                                reason=np.full(int(okw.sum()), "small_balance", dtype=object)))
        return decided, outcome

    if ap.size:
        dec1, out1 = decide(ap, filed1, 20, 90, p_win, 1)
        lost1 = out1 == "lost"
        go2 = lost1 & (rng.random(ap.size) < 0.35)
        filed2 = _bizday(dec1 + rng.integers(10, 46, ap.size))
        go2 &= filed2 <= end
        c2 = ap[go2]
        final_lost, final_day = [ap[lost1 & ~go2]], [dec1[lost1 & ~go2]]
        if c2.size:
            dec2, out2 = decide(c2, filed2[go2], 30, 100, p_win[go2] * 0.8, 2)
            final_lost.append(c2[out2 == "lost"])
            final_day.append(dec2[out2 == "lost"])
        fl, fd = np.concatenate(final_lost), np.concatenate(final_day)
        wday = fd + rng.integers(3, 31, fl.size)
        okw = (wday <= end) & (rng.random(fl.size) < 0.55)
        wo_rows.append(dict(claim=fl[okw], day=wday[okw], amount=outstanding[fl[okw]],
                            reason=np.full(int(okw.sum()), "appeal_lost", dtype=object)))

    # write-offs decided at once
    cw = np.flatnonzero(action == 3)
    tf_c = cause_c[cw] == CAUSE_KEYS.index("timely_filing")
    wday = remit_day[cw] + np.where(tf_c, rng.integers(5, 31, cw.size), rng.integers(10, 61, cw.size))
    auth_c = np.isin(cause_c[cw], [CAUSE_KEYS.index("auth_missing"), CAUSE_KEYS.index("auth_mismatch")])
    reason = np.where(tf_c, "timely_filing", np.where(auth_c, "no_authorization",
                                                     np.where(small[cw], "small_balance", "not_worth_appeal")))
    okw = wday <= end
    wo_rows.append(dict(claim=cw[okw], day=wday[okw], amount=outstanding[cw[okw]], reason=reason[okw].astype(object)))

    # ================================================================ frames
    del fits, a_cols, a_lines
    cid = _claim_ids(gidx)
    sites_npi = np.array(r.site_npi, dtype=object)
    site_ids = np.array(SITE_IDS, dtype=object)
    payer_ids = np.array(PAYER_IDS, dtype=object)
    pos_txt = np.array(POS_LIST, dtype=object)
    member = _member_ids(pat, payer, plan.salt)
    auth_txt = _auth_numbers(auth_no, has_auth)
    ccid = cid[cc]                                  # corrected claims submitted (remit arrived or not)
    both = np.concatenate([np.arange(n), cc])
    corr = np.concatenate([np.zeros(n, dtype=bool), np.ones(cc.size, dtype=bool)])
    ids = np.concatenate([cid, ccid + "-C1"])
    emit("claims", _df({
        "claim_id": ids, "patient_control_number": ids,
        "frequency_code": np.where(corr, "7", "1").astype(object),
        "original_claim_id": np.where(corr, cid[both], None),
        "site_id": site_ids[site[both]], "rendering_npi": r.prov_npi[prov[both]].astype(object),
        "billing_npi": sites_npi[site[both]], "payer_id": payer_ids[payer[both]],
        "patient_id": _patient_ids(pat[both]), "member_id": member[both],
        "service_date_from": _dates(day[both]), "service_date_to": _dates(day[both]),
        "submitted_date": _dates(np.concatenate([sub, corr_day])),
        "total_charge": _money(claim_charge[both]), "place_of_service": pos_txt[pos[both]], "type_of_bill": None,
        "prior_auth_number": auth_txt[both], "claim_type": "professional",
        "_k": gidx[both] * 4 + corr}).sort("_k").drop("_k"))
    del member, auth_txt, ids
    # claim lines of originals and of corrected claims
    is_corr = np.zeros(n, dtype=bool)
    is_corr[cc] = True
    lc = np.flatnonzero(is_corr[rep])
    lrow = np.concatenate([np.arange(L), lc])
    lcorr = np.concatenate([np.zeros(L, dtype=bool), np.ones(lc.size, dtype=bool)])
    mods = np.array(MODIFIERS, dtype=object)
    mods[0] = None
    emit("claim_lines", _df({
        "claim_id": np.where(lcorr, cid[rep[lrow]] + "-C1", cid[rep[lrow]]), "line_number": lno[lrow],
        "procedure_code": np.array(CODE_LIST, dtype=object)[code[lrow]], "modifier_1": mods[m1[lrow]],
        "modifier_2": mods[m2[lrow]], "modifier_3": None, "modifier_4": None, "revenue_code": None,
        "units": units[lrow], "line_charge": _money(charge[lrow]), "service_date": _dates(day[rep[lrow]]),
        "_k": gidx[rep[lrow]] * 4 + lcorr, "_l": lno[lrow]}).sort("_k", "_l").drop("_k", "_l"))
    # rejections
    r1 = np.flatnonzero(rej & (rej_day <= end))
    r2 = np.flatnonzero(rej2 & (rej2_day <= end))
    rc = np.concatenate([rcode[r1], rcode2[r2]])
    emit("rejections", _df({
        "claim_id": np.concatenate([cid[r1], cid[r2]]),
        "rejected_date": _dates(np.concatenate([rej_day[r1], rej2_day[r2]])),
        "status_code": np.array([x[0] for x in REJECTIONS], dtype=object)[rc],
        "reason": np.array([x[1] for x in REJECTIONS], dtype=object)[rc],
        "source": np.array([x[2] for x in REJECTIONS], dtype=object)[rc],
        "_k": np.concatenate([gidx[r1] * 4, gidx[r2] * 4 + 1])}).sort("_k").drop("_k"))
    _remit_frames(remits, gidx, cid, day, site, prov, emit)
    emit("appeals", _appeal_frame(appeals_rows, gidx, cid))
    emit("write_offs", _write_off_frame(wo_rows, gidx, cid))


# ================================================================================================== frames
def _df(cols: dict) -> pl.DataFrame:
    """A frame from numpy arrays / Series; None or a str broadcasts to the length of the others."""
    n = next(len(v) for v in cols.values() if v is not None and not isinstance(v, str))
    data = {}
    for k, v in cols.items():
        if v is None or isinstance(v, str):
            data[k] = pl.repeat(v, n, dtype=pl.String, eager=True).alias(k)
        elif isinstance(v, pl.Series):
            data[k] = v.alias(k)
        else:
            a = np.asarray(v)
            data[k] = (pl.Series(k, pa.array(a, type=pa.string(), from_pandas=True)) if a.dtype == object
                       else pl.Series(k, a))
    return pl.DataFrame(data)


def _opt_int(values: np.ndarray, present: np.ndarray) -> pl.Series:
    """Integers, null where not present (e.g. blank line_number of claim-level rows)."""
    return pl.Series(pa.array(np.asarray(values, dtype=np.int64), mask=~np.asarray(present, dtype=bool)))


def _dates(days: np.ndarray) -> pl.Series:
    return pl.Series(np.asarray(days, dtype=np.int32)).cast(pl.Date)


def _money(cents: np.ndarray) -> pl.Series:
    """Integer cents -> exact 2-decimal strings ("-12.05")."""
    c = np.asarray(cents, dtype=np.int64)
    a = np.abs(c)
    sign = pl.Series(np.where(c < 0, "-", ""))
    return sign + pl.Series(a // 100).cast(pl.String) + "." + pl.Series(a % 100).cast(pl.String).str.zfill(2)


def _claim_ids(gidx: np.ndarray) -> np.ndarray:
    return ("CL" + pl.Series(gidx + 1).cast(pl.String).str.zfill(9)).to_numpy().astype(object)


def _patient_ids(pat: np.ndarray) -> pl.Series:
    return "P" + pl.Series(pat + 1).cast(pl.String).str.zfill(7)


def _auth_numbers(num: np.ndarray, present: np.ndarray) -> np.ndarray:
    txt = ("PA" + pl.Series(num).cast(pl.String).str.zfill(8)).to_numpy().astype(object)
    return np.where(present, txt, None)


_MBI_ALPHA = np.frombuffer(b"ACDEFGHJKMNPQRTUVWXY", dtype=np.uint8)
_DIGITS = np.frombuffer(b"0123456789", dtype=np.uint8)
_ALNUM = np.frombuffer(b"0123456789ACDEFGHJKMNPQRTUVWXY", dtype=np.uint8)


def _member_ids(pat: np.ndarray, payer: np.ndarray, salt: int) -> np.ndarray:
    """Random-looking but stable member ids per (patient, payer), in the payer's format."""
    h = _mix((pat.astype(np.uint64) * np.uint64(64) + payer.astype(np.uint64)) ^ np.uint64(salt))

    def chars(alphabet, pos):
        return alphabet[(_mix(h + np.uint64(pos * 0x632BE59BD9B4E019 % 2**63)) % np.uint64(alphabet.size)).astype(np.int64)]

    def text(cols):
        m = np.ascontiguousarray(np.stack(cols, axis=1))
        return m.view(f"S{m.shape[1]}").ravel().astype(str).astype(object)

    # Medicare MBI: C A AN N A AN N A A N N (no S, L, O, I, B, Z)
    pattern = (_DIGITS[1:], _MBI_ALPHA, _ALNUM, _DIGITS, _MBI_ALPHA, _ALNUM, _DIGITS, _MBI_ALPHA, _MBI_ALPHA,
               _DIGITS, _DIGITS)
    mbi = text([chars(a, i) for i, a in enumerate(pattern)])
    digits = text([chars(_DIGITS, 20 + i) for i in range(10)])
    digits9 = text([chars(_DIGITS, 20 + i) for i in range(9)])
    digits8 = text([chars(_DIGITS, 20 + i) for i in range(8)])
    alnum = text([chars(_ALNUM, 40 + i) for i in range(11)])
    fmt = np.array([p[12] for p in PAYERS])[payer]
    prefix = np.array([_MEMBER_PREFIX.get(p[0], "") for p in PAYERS], dtype=object)[payer]
    out = digits.copy()                                        # N: 10-digit state / network ids
    out = np.where(fmt == "M", mbi, out)
    out = np.where(fmt == "A", prefix + digits9, out)          # 3 letters + 9 digits
    out = np.where(fmt == "X", alnum, out)
    out = np.where(fmt == "W", "WC" + digits8, out)
    return out


def _remit_frames(remits: _Remits, gidx, cid, day, site, prov, emit) -> None:
    r = _ref()
    ev = _cat(remits.ev, ("claim", "letter", "payer", "day", "status", "charge", "corr", "render"))
    ln = _cat(remits.ln, _LN_FIELDS)
    ca = _cat(remits.cadj, ("ev", "group", "carc", "amount"))
    cr = _cat(remits.crmk, ("ev", "rarc"))
    remits.ev, remits.ln, remits.cadj, remits.crmk = [], [], [], []     # release the parts
    e = ev["claim"].size
    paid = np.rint(np.bincount(ln["ev"], weights=ln["paid"], minlength=e)).astype(np.int64)
    pr = np.rint(np.bincount(ln["ev"], weights=ln["pr1"] + ln["pr2"] + ln["pr3"], minlength=e)).astype(np.int64)
    claim = ev["claim"]
    ekey = gidx[claim] * 16 + ev["letter"]
    letters = np.array(list(_LETTERS), dtype=object)[ev["letter"]]
    rcid = cid[claim] + "-" + letters
    pcn = np.where(ev["corr"], cid[claim] + "-C1", cid[claim])
    trace_prefix = np.array([f"1{i + 1:02d}" for i in range(len(PAYERS))], dtype=object)[ev["payer"]]
    date_txt = _dates(ev["day"]).dt.strftime("%Y%m%d").to_numpy().astype(object)
    pcn_num = ((ekey + 1) * 2654435761) % 1_000_000_000_000          # a bijection: unique payer claim numbers
    pcn_txt = pl.Series(pcn_num).cast(pl.String).str.zfill(12).to_numpy().astype(object)
    pay_prefix = np.array([p[0][:2] for p in PAYERS], dtype=object)[ev["payer"]]
    method = np.where(paid > 0, np.where(np.isin(ev["payer"], [r.pid["LSWC"], r.pid["VACCN"]]), "CHK", "ACH"),
                      np.where(paid < 0, "ACH", "NON")).astype(object)
    emit("remits", _df({
        "remit_claim_id": rcid, "payer_id": np.array(PAYER_IDS, dtype=object)[ev["payer"]],
        "trace_number": trace_prefix + date_txt, "remit_date": _dates(ev["day"]), "patient_control_number": pcn,
        "claim_status": np.array(STATUSES, dtype=object)[ev["status"]], "claim_charge": _money(ev["charge"]),
        "claim_paid": _money(paid), "patient_responsibility": _money(pr), "payer_claim_number": pay_prefix + pcn_txt,
        "filing_indicator": np.array([p[10] for p in PAYERS], dtype=object)[ev["payer"]],
        "rendering_npi": np.where(ev["render"], r.prov_npi[prov[claim]].astype(object), None),
        "payee_npi": np.array(r.site_npi, dtype=object)[site[claim]],
        "service_date_from": _dates(day[claim]), "service_date_to": _dates(day[claim]),
        "payment_method": method, "_k": ekey}).sort("_k").drop("_k"))
    # lines
    lev = ln["ev"]
    mods = np.array(MODIFIERS, dtype=object)
    mods[0] = None
    emit("remit_lines", _df({
        "remit_claim_id": rcid[lev], "line_number": ln["lno"],
        "procedure_code": np.array(CODE_LIST, dtype=object)[ln["code"]],
        "modifier_1": mods[ln["m1"]], "modifier_2": mods[ln["m2"]], "modifier_3": None, "modifier_4": None,
        "original_procedure_code": None, "units": ln["units"], "line_charge": _money(ln["charge"]),
        "line_paid": _money(ln["paid"]), "service_date": _dates(ln["day"]), "_k": ekey[lev], "_l": ln["lno"]}
    ).sort("_k", "_l").drop("_k", "_l"))
    # adjustments: claim-level first, then per line the pricing components in a fixed order and the denial CARCs
    parts = [(ca["ev"], np.zeros(ca["ev"].size, dtype=np.int64), np.zeros(ca["ev"].size, dtype=np.int64),
              ca["group"], ca["carc"], ca["amount"])]
    for order, (field, group, carc) in enumerate(_ADJ_COMPONENTS):
        sel = np.flatnonzero(ln[field] != 0)
        parts.append((lev[sel], ln["lno"][sel], np.full(sel.size, order), np.full(sel.size, group),
                      np.full(sel.size, DEMO_CARCS.index(carc)), ln[field][sel]))
    for order, (cf, af) in enumerate((("d1c", "d1a"), ("d2c", "d2a")), start=len(_ADJ_COMPONENTS)):
        sel = np.flatnonzero((ln[cf] >= 0) & (ln[af] != 0))
        parts.append((lev[sel], ln["lno"][sel], np.full(sel.size, order), np.zeros(sel.size, dtype=np.int64),
                      ln[cf][sel], ln[af][sel]))
    a_ev, a_ln, a_ord, a_grp, a_carc, a_amt = (np.concatenate([p[i] for p in parts]).astype(np.int64)
                                              for i in range(6))
    emit("remit_adjustments", _df({
        "remit_claim_id": rcid[a_ev], "line_number": _opt_int(a_ln, a_ln > 0),
        "group_code": np.array(GROUPS, dtype=object)[a_grp], "carc": np.array(DEMO_CARCS, dtype=object)[a_carc],
        "amount": _money(a_amt), "quantity": None, "_k": ekey[a_ev], "_l": a_ln, "_o": a_ord}
    ).sort("_k", "_l", "_o").drop("_k", "_l", "_o"))
    del parts, a_ev, a_ln, a_ord, a_grp, a_carc, a_amt
    # remarks: claim-level, then line-level
    sel = np.flatnonzero(ln["rarc"] >= 0)
    k_ev = np.concatenate([cr["ev"], lev[sel]]).astype(np.int64)
    k_ln = np.concatenate([np.zeros(cr["ev"].size, dtype=np.int64), ln["lno"][sel]]).astype(np.int64)
    k_rarc = np.concatenate([cr["rarc"], ln["rarc"][sel]]).astype(np.int64)
    emit("remit_remarks", _df({
        "remit_claim_id": rcid[k_ev], "line_number": _opt_int(k_ln, k_ln > 0),
        "rarc": np.array(DEMO_RARCS, dtype=object)[k_rarc], "_k": ekey[k_ev], "_l": k_ln}
    ).sort("_k", "_l").drop("_k", "_l"))


def _empty(kind: str) -> pl.DataFrame:
    return pl.DataFrame(schema={c: pl.String for c in KINDS[kind].columns()})


def _appeal_frame(rows: list[dict], gidx, cid) -> pl.DataFrame:
    rows = [x for x in rows if x["claim"].size]
    if not rows:
        return _empty("appeals")
    a = _cat(rows, ("claim", "level", "filed", "decided", "outcome", "recovered"))
    c = a["claim"]
    decided = a["decided"] >= 0
    return _df({
        "appeal_id": "AP" + pl.Series(cid[c], dtype=pl.String).str.slice(2) + "-"
                     + pl.Series(a["level"]).cast(pl.String),
        "claim_id": cid[c], "appeal_level": a["level"], "filed_date": _dates(a["filed"]),
        "decided_date": np.where(decided, _dates(np.maximum(a["decided"], 0)).cast(pl.String).to_numpy(), None),
        "outcome": a["outcome"].astype(object),
        "recovered_amount": np.where(a["recovered"] >= 0, _money(np.maximum(a["recovered"], 0)).to_numpy(), None),
        "_k": gidx[c] * 4 + a["level"]}).sort("_k").drop("_k")


def _write_off_frame(rows: list[dict], gidx, cid) -> pl.DataFrame:
    rows = [x for x in rows if x["claim"].size]
    if not rows:
        return _empty("write_offs")
    w = _cat(rows, ("claim", "day", "amount", "reason"))
    c = w["claim"]
    return _df({"claim_id": cid[c], "write_off_date": _dates(w["day"]), "amount": _money(w["amount"]),
                "reason": w["reason"].astype(object), "_k": gidx[c], "_d": w["day"]}).sort("_k", "_d").drop("_k", "_d")


def _reference_frames() -> dict[str, pl.DataFrame]:
    r = _ref()
    sites = pl.DataFrame({"site_id": list(SITE_IDS), "site_name": [s[1] for s in SITES],
                          "specialty": [s[2] for s in SITES], "state": [s[3] for s in SITES],
                          "billing_npi": r.site_npi, "tin": r.site_tin})
    providers = pl.DataFrame({"provider_npi": [p[0] for p in r.providers], "provider_name": [p[1] for p in r.providers],
                              "specialty": [p[2] for p in r.providers], "site_id": [p[3] for p in r.providers]})
    payers = pl.DataFrame({"payer_id": list(PAYER_IDS), "payer_name": [p[1] for p in PAYERS],
                           "payer_class": [p[2] for p in PAYERS], "appeal_window_days": [p[3] for p in PAYERS],
                           "timely_filing_days": [p[4] for p in PAYERS]},
                          schema_overrides={"appeal_window_days": pl.Int64, "timely_filing_days": pl.Int64})
    return {"sites": sites, "providers": providers, "payers": payers}


def _write(df: pl.DataFrame, path: Path, fmt: str) -> Path:
    df = df.select([pl.col(c).cast(pl.String) for c in df.columns])
    if fmt == "csv":
        df.write_csv(path, null_value="")
    else:
        df.write_parquet(path, compression="zstd", statistics=False)
    return path


# ================================================================================================== public
def generate(out_dir: Path, claims: int = 150_000, seed: int = 7, end: dt.date | None = None, fmt: str = "csv",
             progress: Callable[[str], None] | None = None) -> list[Path]:
    """Write the demo MSO's input files into out_dir and return their paths (reference lists first,
    then per chunk: claims, claim lines, rejections, remits and their lines, adjustments and remarks,
    appeals, write-offs). Same (claims, seed, end, fmt) -> byte-identical files."""
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"fmt must be 'csv' or 'parquet', not {fmt!r}")
    if claims < 1:
        raise ValueError("claims must be at least 1")
    say = progress or (lambda _m: None)
    end = end or dt.date.today()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    ext = "csv" if fmt == "csv" else "parquet"
    plan = _Plan(claims, seed, end)
    say(f"demo: {claims:,} claims, seed {seed}, {dt.date.fromordinal(_EPOCH.toordinal() + plan.start)} .. {end}, "
        f"{len(plan.chunks)} chunk(s) -> {out_dir}")
    paths = [_write(df, out_dir / f"{kind}.{ext}", fmt) for kind, df in _reference_frames().items()]
    for k, (lo, hi) in enumerate(plan.chunks, start=1):
        rows: dict[str, int] = {}
        written: dict[str, Path] = {}

        def emit(kind: str, df: pl.DataFrame) -> None:
            rows[kind] = df.height
            written[kind] = _write(df, out_dir / f"{kind}_{k:04d}.{ext}", fmt)

        _chunk(plan, k, lo, hi, emit)
        paths += [written[kind] for kind in CHUNK_KINDS]
        say(f"demo: chunk {k}/{len(plan.chunks)}: {rows['claims']:,} claims, {rows['claim_lines']:,} lines, "
            f"{rows['remits']:,} remits, {rows['remit_adjustments']:,} adjustments written")
    return paths
