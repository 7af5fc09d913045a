"""Site and payer mapping (etl/mapping.py, docs/config-mapping.md)."""
from __future__ import annotations

from etl import mapping as m
from etl.x12 import read_x12
from test_x12_support import EXAMPLE_CONFIG, FIXTURES, example_mapping


def test_example_config_reads_cleanly():
    mp = example_mapping()
    assert mp.problems == []
    assert mp.by_npi["1111111111"] == ("ORTHO-N", "Sunrise Orthopedics North")
    assert mp.by_facility["2222222222"][0] == "ORTHO-S"


def test_site_resolution_order_and_unmapped():
    mp = example_mapping()
    assert mp.site("1111111111", None, "2222222222").site_id == "ORTHO-S"     # facility first
    assert mp.site("1111111111", None, "9999999999").site_id == "ORTHO-N"     # then billing NPI
    assert mp.site("5555555555", "12-3456789", None).site_id == "ORTHO-N"     # then TIN (digits only)
    s = mp.site("5555555555", "999999999", None, "ACME CLINIC")
    assert (s.site_id, s.site_name, s.unmapped) == ("NPI-5555555555", "ACME CLINIC", True)
    assert mp.site(None, "999999999", None).site_id == "TIN-999999999"
    assert mp.site(None, None, None).site_id == "UNKNOWN"


def test_payer_resolution():
    mp = example_mapping()
    assert mp.payer("87726", "whatever").payer_id == "UHC"
    assert mp.payer(None, "  United   Healthcare ").payer_id == "UHC"          # names: case and blanks
    assert mp.payer("00435", None).payer_class == "medicare"
    p = mp.payer("12345", "ACME  INSURANCE")
    assert (p.payer_id, p.payer_name, p.payer_class, p.unmapped) == ("12345", "ACME INSURANCE", "other", True)
    q = mp.payer(None, "ACME INSURANCE")
    assert (q.payer_id, q.unmapped) == ("ACME INSURANCE", True)


def test_bad_rows_are_reported_not_raised(tmp_path):
    (tmp_path / "sites.csv").write_text(
        "match_type,match_value,site_id,site_name\n"
        "npi,1111111111,A,Site A\n"
        "npi,1111111111,B,Site B\n"          # conflicting: ignored
        "zip,12345,C,Site C\n"               # unknown match type
        "npi,123,D,Site D\n"                 # not 10 digits
        "\n")
    (tmp_path / "payers.csv").write_text(
        "\ufeffmatch_type,match_value,payer_id,payer_name,payer_class\n"
        "payer_id,1,P1,Payer One,commercial\n"
        "payer_id,2,P2,Payer Two,gold\n")    # unknown class -> other
    mp = m.load_mapping(tmp_path)
    assert mp.by_npi == {"1111111111": ("A", "Site A")}
    assert mp.by_payer_id["2"] == ("P2", "Payer Two", "other")
    assert len(mp.problems) == 4
    assert any("already mapped" in p for p in mp.problems)
    assert any("'zip'" in p for p in mp.problems)
    assert any("should have 10 digits" in p for p in mp.problems)
    assert any("'gold'" in p for p in mp.problems)


def test_missing_columns(tmp_path):
    (tmp_path / "sites.csv").write_text("npi,site\n1111111111,A\n")
    mp = m.load_mapping(tmp_path)
    assert mp.by_npi == {} and "missing column" in mp.problems[0]


def test_config_dir_env_and_warehouse(tmp_path, monkeypatch):
    monkeypatch.delenv(m.ENV_CONFIG_DIR, raising=False)
    assert m.config_dir() is None
    assert m.config_dir(tmp_path / "warehouse.duckdb") == tmp_path.resolve() / "config"
    monkeypatch.setenv(m.ENV_CONFIG_DIR, str(EXAMPLE_CONFIG))
    assert m.config_dir(tmp_path / "warehouse.duckdb") == EXAMPLE_CONFIG
    # read_x12 without a mapping uses the default one: here the env folder
    (b,) = list(read_x12(FIXTURES / "835_era1.x12"))
    assert set(b.frames["remits"]["payer_id"].to_list()) == {"UHC"}


def test_default_mapping_rereads_changed_files(tmp_path, monkeypatch):
    monkeypatch.setenv(m.ENV_CONFIG_DIR, str(tmp_path))
    assert m.default_mapping().by_payer_id == {}
    (tmp_path / "payers.csv").write_text("match_type,match_value,payer_id,payer_name,payer_class\n"
                                         "payer_id,87726,UHC,UnitedHealthcare,commercial\n")
    assert m.default_mapping().by_payer_id["87726"][0] == "UHC"
