"""focus-ingest: FOCUS billing files from S3 month folders into DuckDB, validated, as cost marts."""
