"""The layers keep to their jobs (developers' guide): warehouse/ alone knows the schema and the SQL,
pages/ only filter, call the warehouse and draw, and neither warehouse/ nor etl/ knows the dashboard.
Each test names the file and line that breaks the rule."""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE_FILES = sorted((ROOT / "pages").glob("*.py")) + [ROOT / "dashboard.py"]
SQL = re.compile(r"\bSELECT\b.+\bFROM\b|\bINSERT\s+INTO\b|\bCREATE\s+(OR\s+REPLACE\s+)?(TEMP\s+)?(TABLE|VIEW)\b|"
                 r"\bDELETE\s+FROM\b|\bUPDATE\s+\w+\s+SET\b", re.IGNORECASE | re.DOTALL)


def _imports(path: Path) -> list[tuple[int, str]]:
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.append((node.lineno, node.module))
    return out


def page_breaches(path: Path) -> list[str]:
    """A page file's lines that write SQL, run a statement or open DuckDB themselves."""
    bad = [f"{path.name}:{line}: imports {mod}" for line, mod in _imports(path) if mod.split(".")[0] == "duckdb"]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.search(node.value):
            bad.append(f"{path.name}:{node.lineno}: SQL in a string ({node.value.strip()[:60]!r})")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("sql", "execute"):
            bad.append(f"{path.name}:{node.lineno}: calls .{node.func.attr}()")
    return bad


def test_pages_write_no_sql():
    assert len(PAGE_FILES) > 10
    assert [b for p in PAGE_FILES for b in page_breaches(p)] == []


def test_the_rule_catches_a_page_that_writes_sql(tmp_path):
    page = tmp_path / "bad_page.py"
    page.write_text('import duckdb\ncon = duckdb.connect()\nrows = con.sql("SELECT payer_id, count(*) FROM m_claim GROUP BY 1")\n')
    assert sorted(page_breaches(page)) == ["bad_page.py:1: imports duckdb", "bad_page.py:3: SQL in a string "
                                           "('SELECT payer_id, count(*) FROM m_claim GROUP BY 1')",
                                           "bad_page.py:3: calls .sql()"]


def test_warehouse_and_etl_do_not_know_the_dashboard():
    """No streamlit or page import in warehouse/ and etl/; plotly only where the weekly brief's charts
    are drawn (the HTML brief of `python -m warehouse brief` holds them too)."""
    files = [p for d in ("warehouse", "etl") for p in sorted((ROOT / d).rglob("*.py"))]
    assert len(files) > 20
    bad = [f"{p.relative_to(ROOT)}:{line}: imports {mod}" for p in files for line, mod in _imports(p)
           if mod.split(".")[0] in ("streamlit", "pages", "plotly") and not (p.name == "brief_figures.py" and mod.startswith("plotly"))]
    assert bad == []
