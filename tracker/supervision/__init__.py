"""Supervision (督办): the handling figures per unit, their charts and spreadsheet exports."""
