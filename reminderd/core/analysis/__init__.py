"""What the log says: its rows as the analysis takes them (records), adherence, each night's label, the missed-dose effect, and the statistics beneath it."""
