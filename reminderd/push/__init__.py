"""Everything that leaves the machine, through Apprise: escalation to his phone and alerts to his contacts."""
