"""etl: turns outside files (CSV/Parquet exports, X12 835/837/277CA) into validated warehouse rows.

The only package that writes to the warehouse (through warehouse.store's write session)."""
