"""Behavioral threat assessment and management: cases, instruments, plans, reviews."""
