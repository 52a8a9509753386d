"""Reading YAML while remembering the line of every value, for error messages."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import yaml

Path = tuple[str | int, ...]


class YamlError(ValueError):
    pass


# A scenario is a handful of levels deep; anything past this is a mistake or an attack.
MAX_DEPTH = 64
MAX_VALUES_PER_CHARACTER = 20


def format_path(path: Path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _plain(value: Any) -> Any:
    # Dates are kept as ISO strings: the schema checks their format and the loader parses them.
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def load_with_lines(text: str, filename: str = "<scenario>") -> tuple[Any, dict[Path, int]]:
    """Parse YAML; return the data and a map from each value's path to its 1-based line."""
    loader: yaml.SafeLoader | None = None
    try:
        # The constructor already reads the text: a NUL or another control character fails
        # here with a ReaderError, which must become a YamlError like any other syntax error.
        loader = yaml.SafeLoader(text)
        node = loader.get_single_node()
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        char = exc.character
        shown = f"#x{char:04x}" if isinstance(char, int) else repr(char)
        raise YamlError(
            f"{filename}: not valid YAML: the control character {shown} is not allowed "
            f"(line {line})"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise YamlError(
            f"{filename}: not valid YAML: {getattr(exc, 'problem', exc)}{where}"
        ) from None
    except RecursionError:
        # PyYAML's composer recurses once a level: thousands of "[" exhaust the stack.
        raise YamlError(f"{filename}: not valid YAML: nested too deeply") from None
    finally:
        if loader is not None:
            loader.dispose()
    lines: dict[Path, int] = {}
    constructor = yaml.SafeLoader("")
    # Aliases repeat a node wherever they are used: a few lines can expand into millions of
    # values (or into themselves), so the walk has a depth and a size it will not exceed.
    budget = [MAX_VALUES_PER_CHARACTER * len(text) + 10_000]

    def value_of(n: yaml.Node, path: Path) -> Any:
        try:
            return _plain(constructor.construct_object(n))
        except (ValueError, KeyError, TypeError, yaml.YAMLError) as exc:
            # An unknown or unsafe tag (!foo, !!python/object), !!bool maybe, bad !!binary...
            problem = getattr(exc, "problem", None) or str(exc)
            if isinstance(exc, KeyError):  # !!bool maybe
                problem = f"{n.value!r} is not a {n.tag.rsplit(':', 1)[-1]}"
            raise YamlError(
                f"{format_path(path)}: {problem} (line {n.start_mark.line + 1})"
            ) from None

    def walk(n: yaml.Node, path: Path) -> Any:
        line = n.start_mark.line + 1
        budget[0] -= 1
        if len(path) > MAX_DEPTH:
            raise YamlError(
                f"{format_path(path[:3])}...: nested more than {MAX_DEPTH} levels deep, or an "
                f"alias that contains itself (line {line})"
            )
        if budget[0] < 0:
            raise YamlError(f"{filename}: aliases expand into too many values (line {line})")
        lines[path] = line
        if isinstance(n, yaml.MappingNode):
            result: dict[str, Any] = {}
            for key_node, value_node in n.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    raise YamlError(
                        f"{format_path(path)}: a key must be a plain value, not a list or a "
                        f"mapping (line {key_node.start_mark.line + 1})"
                    )
                key = str(value_of(key_node, path))
                if key in result:
                    raise YamlError(
                        f"{format_path(path + (key,))}: duplicate key (line "
                        f"{key_node.start_mark.line + 1})"
                    )
                result[key] = walk(value_node, path + (key,))
            return result
        if isinstance(n, yaml.SequenceNode):
            return [walk(item, path + (i,)) for i, item in enumerate(n.value)]
        return value_of(n, path)

    if node is None:
        return None, lines
    return walk(node, ()), lines
