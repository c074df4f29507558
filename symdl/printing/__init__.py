"""Printers: one module per output format, all reading the same annotated graph."""
