"""reminderd(1), made from the commands' own help (docstrings and option help), so the
manual cannot drift from `reminderd COMMAND --help`. `reminderd man` prints it."""

from __future__ import annotations

import inspect

import click

ENVIRONMENT = (
    ("REMINDERD_CONFIG", "The config file, when --config is not given."),
    ("REMINDERD_DB", "The dose log, when --db is not given."),
    ("XDG_CONFIG_HOME, XDG_DATA_HOME, XDG_RUNTIME_DIR",
     "Where the config, the log and the daemon's lock live by default."),
)
FILES = (
    ("~/.config/reminderd/config.toml", "The config; `reminderd init` writes the commented example there."),
    ("~/.local/share/reminderd/reminderd.db", "The dose log, one SQLite file only you can read."),
    ("~/.config/systemd/user/reminderd.service", "The user service written by `reminderd install-service`."),
)


def escape(text: str) -> str:
    """Roff text: backslashes and hyphens literal, no line read as a request."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\n".join("\\&" + line if line.startswith((".", "'")) else line for line in text.splitlines())


def _help(text: str | None) -> list[str]:
    """A click help text as roff: paragraphs refilled, a `\\b` block kept as typed."""
    out: list[str] = []
    for block in inspect.cleandoc(text or "").split("\n\n"):
        if block.startswith("\b"):
            out += [".PP", ".RS 4", ".nf", escape(block[1:].strip("\n")), ".fi", ".RE"]
        elif block.strip():
            out += [".PP", escape(" ".join(block.split()))]
    return out


def _options(command: click.Command, ctx: click.Context) -> list[str]:
    out: list[str] = []
    for param in command.get_params(ctx):
        if not isinstance(param, click.Option) or "--help" in param.opts:
            continue  # arguments are in the usage line; --help is said once, below
        record = param.get_help_record(ctx)
        if record:
            out += [".TP", f"\\fB{escape(record[0])}\\fR", escape(record[1]) or "\\&"]
    return out


def render(group: click.Group, name: str, version: str) -> str:
    """The whole page. No date in it: the same install always gives the same page."""
    ctx = click.Context(group, info_name=name)
    summary, _, rest = inspect.cleandoc(group.help or "").partition("\n")
    lines = [f'.TH {name.upper()} 1 "" "{name} {version}" "User Commands"',
             ".SH NAME", f"{name} \\- {escape(summary.rstrip('.'))}",
             ".SH SYNOPSIS", f"\\fB{name}\\fR [\\fIOPTIONS\\fR] \\fICOMMAND\\fR [\\fIARGS\\fR]...",
             ".SH DESCRIPTION", *_help(rest),
             ".PP", escape(f"`{name} COMMAND --help` shows the same text for one command. "
                           f"Shell completion for bash: eval \"$(_{name.upper()}_COMPLETE=bash_source {name})\" "
                           "(zsh_source and fish_source for zsh and fish)."),
             ".SH OPTIONS", *_options(group, ctx), ".SH COMMANDS"]
    for sub_name in group.list_commands(ctx):
        command = group.get_command(ctx, sub_name)
        if command is None or command.hidden:
            continue
        sub = click.Context(command, info_name=sub_name, parent=ctx)
        usage = " ".join(command.collect_usage_pieces(sub))
        lines += [f'.SS "{escape(f"{name} {sub_name} {usage}")}"', *_help(command.help), *_options(command, sub)]
    lines += [".SH ENVIRONMENT"]
    for var, text in ENVIRONMENT:
        lines += [".TP", f"\\fB{escape(var)}\\fR", escape(text)]
    lines += [".SH FILES"]
    for path, text in FILES:
        lines += [".TP", f"\\fI{escape(path)}\\fR", escape(text)]
    lines += [".SH EXIT STATUS", "0 done; 2 bad input (the message says what would be accepted); 1 any other error. "
              "A command that fails changes nothing in the log.",
              ".SH SEE ALSO", "\\fBsystemctl\\fR(1), \\fBsqlite3\\fR(1)"]
    return "\n".join(lines) + "\n"
