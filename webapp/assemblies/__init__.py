"""Owners' assemblies: the agenda, the notice and the clock that opens and closes voting."""
