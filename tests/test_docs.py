"""Fails when something is undocumented: every KPI in docs/metrics.md, every input column in
docs/input-format.md, every dimension in the kpi command's help."""
from __future__ import annotations

import re

from conftest import ROOT, run_cli
from etl.contract import KINDS
from warehouse.dimensions import DIMENSIONS
from warehouse.metrics import KPI_FIELDS, KPIS


def test_every_kpi_is_defined_in_metrics_md():
    text = (ROOT / "docs" / "metrics.md").read_text()
    missing = [k for k in KPIS if f"`{k}`" not in text]
    assert not missing, f"KPIs missing from docs/metrics.md: {missing}"
    for k in KPIS.values():
        assert k.definition and k.unit in {"ratio", "dollars", "count", "days"} and k.good_direction in {"up", "down"}
        if k.unit == "ratio":
            assert k.denominator, k.key


def test_every_input_column_is_documented():
    text = (ROOT / "docs" / "input-format.md").read_text()
    for kind, schema in KINDS.items():
        section = re.search(rf"## `{kind}`\n(.*?)(\n## |\Z)", text, re.S)
        assert section, f"kind {kind} not documented"
        for col, c in schema.columns().items():
            assert f"| `{col}` |" in section.group(1), f"{kind}.{col} not documented"
            assert c.description, f"{kind}.{col} has no description"


def test_every_dimension_is_in_the_kpi_help():
    out = run_cli("warehouse", "kpi", "--help").stdout
    for key in DIMENSIONS:
        assert key in out, key
    assert all(k in KPIS for k in KPI_FIELDS)
