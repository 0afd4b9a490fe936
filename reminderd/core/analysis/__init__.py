"""What the log says: adherence, each night's label, the missed-dose effect, and the statistics beneath it."""
