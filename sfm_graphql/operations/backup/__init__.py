"""Online backup, verification and restore of everything the service keeps in Neo4j.

The file format is in `frames.py` (container, optional encryption) and `body.py` (the JSON-lines
sections and their manifest); what is saved is listed in `sections.py`. docs/operations/
backup-restore.md is the operator's runbook.
"""
