"""Errors the engine reports to a person: bad input (exit code 2) versus failures (exit 1).

A `ConfigError` always names the field at fault and how to fix it, so that the command
line can print exactly one line and stop before any training starts.
"""

from __future__ import annotations


class FmflError(Exception):
    """Base class of the engine's own errors."""


class ConfigError(FmflError):
    """Bad input: a preset, an override, a file or a dataset that cannot be used as given.

    `field` is the dotted name of the setting (`sweep.counts`, `data.root`) or the file at
    fault; `problem` says what is wrong; `fix` says what to do instead.
    """

    def __init__(self, field: str, problem: str, fix: str = "") -> None:
        self.field = field
        self.problem = problem
        self.fix = fix
        super().__init__(self.line())

    def line(self) -> str:
        """The one line printed on stderr: `field: problem; fix`."""
        text = f"{self.field}: {self.problem}"
        return f"{text}; {self.fix}" if self.fix else text


class DataError(ConfigError):
    """A dataset that is missing or malformed on disk (still bad input, exit code 2)."""
