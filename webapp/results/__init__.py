"""Results: the tally from the sealed log, supervisors' certification, publication (公示),
objections and the public audit bundle."""
