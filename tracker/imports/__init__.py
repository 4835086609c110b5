"""Batch import of a 交办清单 spreadsheet (.xlsx): checked as a whole, then registered and
assigned in one transaction."""
