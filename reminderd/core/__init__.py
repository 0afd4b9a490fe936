"""The pure core: given `now`, the config and rows, it decides; it never reads the clock, the disk or D-Bus."""
