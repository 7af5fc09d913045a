"""warehouse: the schema, the models, the KPI definitions and every query.

Pages, the CLI and etl/ call into this package; nothing else holds SQL. It never imports streamlit."""
