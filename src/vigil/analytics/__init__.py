"""Understand: public incident data sets, the harmonised catalogue across them, trends
and rates under each definition."""
