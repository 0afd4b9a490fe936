"""UTC, the one zone the log and the core keep instants in (local zones come from the config)."""

from __future__ import annotations

from datetime import timezone

UTC = timezone.utc
