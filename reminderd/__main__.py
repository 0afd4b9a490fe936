"""`reminderd` and `python -m reminderd`: the command line, started with Python's cyclic
garbage collector off.

A command lasts a fraction of a second and leaves few cycles behind, while the collector's
passes over the objects that importing click and reminderd makes, and its last pass at
exit, cost about 30 million instructions, a tenth of `reminderd take`. The commands that
live for days (`run`, the daemon) turn it back on (reminderd.cli.LONG_RUNNING)."""

import gc


def main() -> None:
    gc.disable()
    from reminderd.cli import main as command_line  # click and reminderd, imported with the collector off

    try:
        command_line()
    finally:
        gc.freeze()  # the last pass at exit skips every object made so far


if __name__ == "__main__":
    main()
