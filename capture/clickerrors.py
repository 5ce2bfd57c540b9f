"""Click's own parse errors ("No such option '--foo'.") in the reader's language.

Click words them in English through gettext, and ships no Chinese catalogue. For a zh
reader the common messages are recognised by pattern and rebuilt from capture/messages.py,
the option names and values kept exactly as Click quoted them. A message not recognised
stays Click's English inside the Chinese frame: a wrong translation is worse than none.
English readers get Click's own output, byte for byte.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

import click

from .messages import MESSAGES, language, t

# A name as Click quotes it: repr() of a string, so '...' (or "..." if it holds a ').
_NAME = r"('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")"

Rule = tuple[re.Pattern, Callable[[re.Match], str]]


def _rule(pattern: str, build: Callable[[re.Match], str]) -> Rule:
    return re.compile(pattern, re.DOTALL), build


def _kind(prefix: str, word: str) -> str:
    key = f"{prefix}.{word}"
    return t(key) if key in MESSAGES else word


# Why a value was refused: the part after "Invalid value for '--jobs': ".
_REASONS: list[Rule] = [
    _rule(r"(.+) is not a valid (integer range|integer|float range|float)\.",
          lambda m: t("click.not_a_number", value=m[1], kind=_kind("click.number", m[2]))),
    _rule(r"(.+) is not in the range (\S+)\.", lambda m: t("click.out_of_range", value=m[1], range=m[2])),
    _rule(r"(.+) is not one of (.+)\.", lambda m: t("click.not_a_choice", value=m[1], choices=m[2])),
    _rule(r"(File|Directory|Path) (.+) does not exist\.",
          lambda m: t("click.path_missing", kind=_kind("click.path", m[1].lower()), path=m[2])),
]


def _reason(text: str) -> str:
    for pattern, build in _REASONS:
        found = pattern.fullmatch(text)
        if found:
            return build(found)
    return text


_MESSAGES: list[Rule] = [
    _rule(rf"No such option {_NAME}\.", lambda m: t("click.no_such_option", name=m[1])),
    _rule(rf"No such command {_NAME}\.", lambda m: t("click.no_such_command", name=m[1])),
    _rule(rf"Missing argument {_NAME}\.", lambda m: t("click.missing_argument", name=m[1])),
    _rule(rf"Missing option {_NAME}\.", lambda m: t("click.missing_option", name=m[1])),
    _rule(rf"Missing parameter {_NAME}\.", lambda m: t("click.missing_parameter", name=m[1])),
    _rule(r"Missing command\.", lambda m: t("click.missing_command")),
    _rule(rf"Invalid value for ({_NAME}(?: / {_NAME})*): (.+)",
          lambda m: t("click.invalid_value_for", name=m[1], reason=_reason(m[m.re.groups]))),
    _rule(r"Invalid value: (.+)", lambda m: t("click.invalid_value", reason=_reason(m[1]))),
    _rule(r"Got unexpected extra arguments? \((.*)\)", lambda m: t("click.extra_arguments", args=m[1])),
    _rule(rf"Option {_NAME} requires (?:an argument|\d+ arguments)\.",
          lambda m: t("click.requires_argument", name=m[1])),
    _rule(rf"Option {_NAME} does not take a value\.", lambda m: t("click.takes_no_value", name=m[1])),
]

# "No such option '--jbs'. (Did you mean one of: '--jobs', '--json'?)"
_SUGGESTION = re.compile(r"(.*\.) (?:Did you mean (.+)\?|\(Did you mean one of: (.+)\?\))", re.DOTALL)


def translate(message: str) -> str:
    """A Click error message in the reader's language; unrecognised ones unchanged."""
    if language() != "zh":
        return message
    head, hint = message, ""
    suggested = _SUGGESTION.fullmatch(message)
    if suggested:
        head = suggested[1]
        hint = (t("click.did_you_mean", names=suggested[2]) if suggested[2]
                else t("click.did_you_mean_one_of", names=suggested[3]))
    for pattern, build in _MESSAGES:
        found = pattern.fullmatch(head)
        if found:
            return build(found) + hint
    return message


def _show(exc: click.UsageError, file=None) -> None:
    """Click's UsageError.show, with its frame ("Try ...", "Error: ...") translated too."""
    color = None
    if exc.ctx is not None:
        ctx, hint = exc.ctx, ""
        color = ctx.color
        if ctx.command.get_help_option(ctx) is not None:
            names = ctx.command.get_help_option_names(ctx)
            hint = t("click.try_help", command=ctx.command_path, option=max(names, key=len)) + "\n"
        click.echo(f"{ctx.get_usage()}\n{hint}", file=file, err=file is None, color=color)
    click.echo(t("click.error", message=translate(exc.format_message())), file=file,
               err=file is None, color=color)


def in_readers_language(exc: click.UsageError) -> None:
    """Make `exc` show itself in the reader's language when Click's main() shows it.

    Only show() is replaced, on this one exception: the exit code (2), str(exc) and
    Click's standalone handling stay Click's, and English readers see Click's own text.
    """
    if language() == "zh":
        exc.show = functools.partial(_show, exc)  # type: ignore[method-assign]
