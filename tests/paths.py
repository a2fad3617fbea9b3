"""The repository root, for tests that read files next to the code (docs, charts, Cypher)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
