"""CX metrics in: CSV import and the JSON push share one validation."""
