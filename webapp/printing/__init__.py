"""Printable A4 documents (notices, ballot sheets, result announcements) in Chinese."""
