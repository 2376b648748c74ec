"""Command-line tools for clinic staff (see staff/README.md)."""
