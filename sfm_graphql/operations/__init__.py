"""Operations: what an operator runs beside the service (backup, restore, verify)."""
