"""Voting: signed ballots, the assembly's Merkle log, receipts, turnout and paper ballots."""
