"""One vocabulary: the words that travel (statuses, reasons, event kinds, sources, alert
kinds, supply kinds, a notification's action ids, the phone page's actions) are spelled
once, in reminderd/core/words.py. Every other module imports them; this test walks the
syntax tree of every module of reminderd/ and fails on a string literal that copies one,
whole, as a piece of an f-string, or quoted inside SQL text (`kind = 'taken'`).

A copy would still work the day it is written; it breaks the day the word is renamed in
one place and not in the other, or a new reader spells it slightly differently
("not-running" for "not running"), and an old log then reads differently. The exceptions
below are few and each says why the same spelling is not the word.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import reminderd
from reminderd.core import words

PACKAGE = Path(reminderd.__file__).parent
WORDS_MODULE = PACKAGE / "core" / "words.py"


def vocabulary() -> dict[str, str]:
    """Each word's spelling and the name it has in core/words.py (a tuple's members
    are words already named; the supply events are "supply-" + a supply kind)."""
    spelled: dict[str, str] = {}
    for name, value in vars(words).items():
        if name.isupper() and isinstance(value, str):
            spelled.setdefault(value, name)
    for kind in words.SUPPLY_KINDS:
        spelled.setdefault(words.SUPPLY_EVENT + kind, "SUPPLY_EVENT + a supply kind")
    return spelled


# Where the same spelling is another word: (module under reminderd/, the definition or
# module-level name it is written in, the spelling) and why. Kept narrow: one scope and
# one spelling each, so a real copy elsewhere in the same module is still found.
COMMAND = "the name of a CLI command (`reminderd skip`), which the user types: not the answer it records"
CONFIG_KEY = "a key or table of the config file, as the user writes it"
JSON_KEY = "a field name of the report's JSON, which names a count, not a status"
HEADER = "a table's column header, prose for the reader"
CONFIG_FILE = "the config file itself (a doctor finding's name, the lock's or an error's field)"
OTHER_WORDS: dict[tuple[str, str, str], str] = {
    ("cli/__init__.py", "COMMANDS", "skip"): COMMAND,
    ("cli/__init__.py", "COMMANDS", "snooze"): COMMAND,
    ("cli/__init__.py", "COMMANDS", "refill"): COMMAND,
    ("cli/__init__.py", "COMMANDS", "checkin"): COMMAND,
    ("cli/__init__.py", "FOLLOW_AN_EXAMPLE_DAEMON", "skip"): COMMAND,
    ("cli/__init__.py", "FOLLOW_AN_EXAMPLE_DAEMON", "snooze"): COMMAND,
    ("cli/__init__.py", "FOLLOW_AN_EXAMPLE_DAEMON", "refill"): COMMAND,
    ("cli/__init__.py", "FOLLOW_AN_EXAMPLE_DAEMON", "checkin"): COMMAND,
    ("cli/run.py", "run", "checkin"): COMMAND,
    ("install/desktop.py", "application_entry", "checkin"): COMMAND,
    ("cli/pair.py", "_listing", "phone"): HEADER,
    ("report/figures.py", "COUNT_HEADERS", "taken"): HEADER,
    ("report/figures.py", "COUNT_HEADERS", "skipped"): HEADER,
    ("report/figures.py", "COUNT_HEADERS", "missed"): HEADER,
    ("core/config/load.py", "parse_config", "checkin"): CONFIG_KEY,
    ("core/config/tables.py", "TABLES", "checkin"): CONFIG_KEY,
    ("core/config/tables.py", "MEDICATION_KEYS", "snooze"): CONFIG_KEY,
    ("core/analysis/adherence.py", "DoseCounts.to_json_dict", "taken"): JSON_KEY,
    ("core/analysis/adherence.py", "DoseCounts.to_json_dict", "skipped"): JSON_KEY,
    ("core/analysis/adherence.py", "DoseCounts.to_json_dict", "missed"): JSON_KEY,
    ("core/analysis/effect.py", "Effect.to_json_dict", "summary"): JSON_KEY,
    ("report/json.py", "render", "taken"): JSON_KEY,
    ("core/config/settings.py", "Config.source", "config"): CONFIG_FILE,
    ("errors.py", "ConfigError.__init__", "config"): CONFIG_FILE,
    ("doctor.py", "check_config", "config"): CONFIG_FILE,
    ("lock.py", "take_lock", "config"): CONFIG_FILE,
    ("lock.py", "_holder", "config"): CONFIG_FILE,
    ("doctor.py", "judge_daemon", "daemon"): "a doctor finding's name: the daemon itself, not who recorded an event",
    ("doctor.py", "judge_daemon", "not running"): "the daemon's state, said by doctor, not a dose's reason",
    ("daemon/morning.py", "JOB_ID", "checkin"): "the scheduler's job id of the morning question, in memory only",
    ("remote/pairing.py", "Pairings.new_code", "phone"): "a new phone's name when none is given",
}


class Literals(ast.NodeVisitor):
    """Every string constant of a module, with its line and the definition (or module-level
    name) it is written in; f-strings' literal pieces included; docstrings left out (they are
    prose about the words, not uses of them)."""

    def __init__(self) -> None:
        self.scope: list[str] = []
        self.in_function = 0  # inside a function, an assignment is a local: the function names the scope
        self.found: list[tuple[int, str, str]] = []

    def _body(self, node) -> None:
        body = node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                and isinstance(body[0].value.value, str):
            body = body[1:]
        for child in body:
            self.visit(child)

    def visit_Module(self, node: ast.Module) -> None:
        self._body(node)

    def _named(self, node) -> None:
        function = not isinstance(node, ast.ClassDef)
        self.scope.append(node.name)
        self.in_function += function
        for child in (*node.decorator_list, *getattr(node, "bases", ()), *getattr(node, "keywords", ())):
            self.visit(child)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.visit(node.args)
        self._body(node)
        self.in_function -= function
        self.scope.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _named

    def _assigned(self, node) -> None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        names = [n.id for t in targets for n in ([t] if isinstance(t, ast.Name) else getattr(t, "elts", []))
                 if isinstance(n, ast.Name)]
        if names and not self.in_function:
            self.scope.append(names[0])
            self.generic_visit(node)
            self.scope.pop()
        else:
            self.generic_visit(node)

    visit_Assign = visit_AnnAssign = _assigned

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str):
            self.found.append((node.lineno, ".".join(self.scope), node.value))


def literals(source: str) -> list[tuple[int, str, str]]:
    visitor = Literals()
    visitor.visit(ast.parse(source))
    return visitor.found


# SQL text: a statement, or a condition on its own ("kind = 'start'", kept to be joined).
SQL = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|WHERE|VALUES|CREATE|CHECK)\b|\w\s*(=|!=|<>)\s*'")
QUOTED = re.compile(r"'([^']*)'")


def spellings(text: str, spelled: dict[str, str]) -> set[str]:
    """The words a literal spells: all of it, or a word quoted inside SQL text."""
    hits = {text} & spelled.keys()
    if SQL.search(text):
        hits |= set(QUOTED.findall(text)) & spelled.keys()
    return hits


def copies(source: str, path: str, spelled: dict[str, str]) -> list[str]:
    """The copies of a word in one module's source, each as "path:line (scope): ..."."""
    return [f"{path}:{line} ({scope}): {text!r} copies {words.__name__}.{spelled[word]} ({word!r})"
            for line, scope, text in literals(source)
            for word in sorted(spellings(text, spelled)) if (path, scope, word) not in OTHER_WORDS]


def modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if p != WORDS_MODULE)


def test_no_module_spells_a_word_of_core_words_itself():
    spelled = vocabulary()
    found = [c for p in modules() for c in copies(p.read_text(), str(p.relative_to(PACKAGE)), spelled)]
    assert found == [], "import these from reminderd.core.words instead:\n" + "\n".join(found)


def test_every_exception_is_still_needed():
    """An exception whose literal is gone would let a real copy in later unnoticed."""
    spelled = vocabulary()
    for (path, scope, word), why in OTHER_WORDS.items():
        assert word in spelled, f"{word!r} is no longer a word of core/words.py ({why})"
        written = [(s, w) for _, s, text in literals((PACKAGE / path).read_text()) for w in spellings(text, spelled)]
        assert (scope, word) in written, f"{path} spells {word!r} no longer in {scope}: drop its exception"


@pytest.mark.parametrize("source, copied", [
    ('status = "taken"', "TAKEN"),
    ('key = f"taken:{dose.id}"', "TAKEN_ONE"),
    ('store.add_event("push-due", source, now)', "PUSH_DUE"),
    ("conn.execute(\"SELECT id FROM doses WHERE status = 'missed'\")", "MISSED"),
    ("where = \"kind = 'start'\"", "SUPPLY_START"),
    ('reason = "not running"', "NOT_RUNNING"),
    ('kind = "not-running"', "NOT_RUNNING_ALERT"),
    ('event = "supply-refill"', "SUPPLY_EVENT"),
    ('message.to.startswith("rater:")', "RATER_PREFIX"),
], ids=["status", "f-string piece", "event kind", "inside SQL", "a condition", "reason", "alert", "supply event",
        "rater"])
def test_a_copy_is_found(source, copied):
    assert [copied in c for c in copies(source, "scratch.py", vocabulary())] == [True]


@pytest.mark.parametrize("source", [
    '"""A taken dose."""',  # a docstring
    'say("Nothing was taken.")',  # prose: the word inside a sentence
    "say(\"answer 'taken' or 'skip'\")",  # quoted in prose that is not SQL
    'from reminderd.core.words import TAKEN\nstatus = TAKEN',
], ids=["docstring", "sentence", "quoted prose", "imported"])
def test_what_is_not_a_copy(source):
    assert copies(source, "scratch.py", vocabulary()) == []
