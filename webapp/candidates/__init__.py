"""Candidates for the owners' committee: nominations, written commitments, vetting, the list."""
