"""The Markdown report (docs/benchmarks.md): document.py writes it; format.py and
tables.py hold what the workloads' own sections share."""
