"""One module per real format; each stages a file into DuckDB and normalises it with SQL."""
