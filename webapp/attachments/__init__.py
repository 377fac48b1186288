"""Files attached to assemblies: documents on items, candidates' photos and statements, bids,
scans of proxy letters, paper ballots and nominations.  Stored outside the web root by their
SHA-256, served only through access checks with a safe Content-Disposition."""
