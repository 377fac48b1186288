"""Background jobs with progress: the Job record, kinds, runners (RQ or in-process) and pages."""
