"""Strict reading of the planning commands' JSON input: one clear reason for any bad value.

Both `vigil plan` commands (and the pages that call the same solvers) refuse rather
than guess: JSON's NaN and Infinity, numbers written as strings or booleans, numbers
beyond ``MAX_MAGNITUDE`` or nearer zero than ``MIN_MAGNITUDE``, repeated keys, unknown
or missing fields and repeated ids.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

# Money, people and payoffs beyond a trillion are a typing error, and keeping every
# value below it leaves sums of thousands of them far inside a double's exact range.
MAX_MAGNITUDE = 1e12
# Non-zero values nearer zero than this are a typing error too, and their products would
# underflow what the solvers can tell from zero.
MIN_MAGNITUDE = 1e-9
# An input file bigger than this is not a plan anyone typed or exported.
MAX_INPUT_BYTES = 256 * 1024 * 1024
_MAX_INT_DIGITS = 40


class PlanInputError(ValueError):
    """Input a planning command refuses; the message is one line for the operator."""


def _refuse_constant(name: str) -> Any:
    raise PlanInputError(f"{name} is not a number Vigil accepts (NaN and infinities are refused)")


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > _MAX_INT_DIGITS:
        raise PlanInputError(f"the number {text[:20]}... is absurdly large")
    return int(text)


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise PlanInputError(f"the number {text[:30]} is too large to be represented")
    return value


def _no_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise PlanInputError(f"the field {key!r} appears twice in one object")
        result[key] = value
    return result


def parse_json(text: str) -> Any:
    """JSON without NaN, infinities, huge integers or repeated keys."""
    try:
        return json.loads(
            text,
            parse_constant=_refuse_constant,
            parse_int=_parse_int,
            parse_float=_parse_float,
            object_pairs_hook=_no_repeated_keys,
        )
    except json.JSONDecodeError as problem:
        raise PlanInputError(
            f"not JSON: {problem.msg} at line {problem.lineno} column {problem.colno}"
        ) from None
    except RecursionError:
        raise PlanInputError("not JSON Vigil accepts: nested too deeply") from None


def read_json_file(path: Path) -> Any:
    """The parsed content of one input file, or PlanInputError saying why not."""
    if not path.is_file():
        raise PlanInputError(f"no such file: {path}")
    if path.stat().st_size > MAX_INPUT_BYTES:
        raise PlanInputError(f"{path} is larger than {MAX_INPUT_BYTES // (1024 * 1024)} MiB")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise PlanInputError(f"{path} is not UTF-8 text") from None
    except OSError as problem:
        raise PlanInputError(f"cannot read {path}: {problem.strerror}") from None
    return parse_json(text)


def check_fields(
    value: Any, where: str, *, required: Sequence[str], optional: Sequence[str] = ()
) -> Mapping[str, Any]:
    """``value`` as an object with exactly the required fields and maybe the optional ones."""
    if not isinstance(value, dict):
        raise PlanInputError(f"{where} must be a JSON object, not {kind_of(value)}")
    missing = [name for name in required if name not in value]
    if missing:
        raise PlanInputError(f"{where} lacks the field {missing[0]!r}")
    allowed = set(required) | set(optional)
    unknown = sorted(name for name in value if name not in allowed)
    if unknown:
        raise PlanInputError(
            f"{where} has an unknown field {unknown[0]!r} (fields: {', '.join(sorted(allowed))})"
        )
    return value


def kind_of(value: Any) -> str:
    """The JSON name of a value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def number(
    value: Any,
    where: str,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    above_minimum: bool = False,
) -> float:
    """A JSON number (not a boolean, not a string) within the given closed or open range."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PlanInputError(f"{where} must be a number, not {kind_of(value)}")
    result = float(value)
    if not math.isfinite(result) or abs(result) > MAX_MAGNITUDE:
        raise PlanInputError(f"{where} is absurdly large (at most {MAX_MAGNITUDE:g})")
    if result != 0 and abs(result) < MIN_MAGNITUDE:
        raise PlanInputError(f"{where} is absurdly small (0, or at least {MIN_MAGNITUDE:g})")
    if minimum is not None:
        if above_minimum and result <= minimum:
            raise PlanInputError(f"{where} must be greater than {minimum:g}, not {result:g}")
        if not above_minimum and result < minimum:
            raise PlanInputError(f"{where} must be at least {minimum:g}, not {result:g}")
    if maximum is not None and result > maximum:
        raise PlanInputError(f"{where} must be at most {maximum:g}, not {result:g}")
    return result


def whole_number(value: Any, where: str, *, minimum: int = 0, maximum: int) -> int:
    """A non-fractional JSON number (3 or 3.0) within [minimum, maximum]."""
    result = number(value, where)
    if result != math.floor(result):
        raise PlanInputError(f"{where} must be a whole number, not {result:g}")
    if result < minimum:
        raise PlanInputError(f"{where} must be at least {minimum}, not {result:g}")
    if result > maximum:
        raise PlanInputError(f"{where} is absurdly large (at most {maximum:,})")
    return int(result)


def identifier(value: Any, where: str) -> str:
    """An id given as a non-empty string or an integer, as the text Vigil compares."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise PlanInputError(f"{where} must be a string or an integer, not {kind_of(value)}")
    text = str(value)
    if not text.strip():
        raise PlanInputError(f"{where} is empty")
    if len(text) > 200:
        raise PlanInputError(f"{where} is longer than 200 characters")
    return text


def array(value: Any, where: str) -> list[Any]:
    """A JSON array."""
    if not isinstance(value, list):
        raise PlanInputError(f"{where} must be an array, not {kind_of(value)}")
    return value


def one_line(message: str) -> str:
    """A message fit for one line of standard error."""
    return " ".join(message.split())
