"""Pure Polars: canonical schemas, rollups, the KPI catalog and its evaluation."""
