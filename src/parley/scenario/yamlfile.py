"""Reading YAML while remembering the line of every value, for error messages."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import yaml

Path = tuple[str | int, ...]


class YamlError(ValueError):
    pass


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
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise YamlError(
            f"{filename}: not valid YAML: {getattr(exc, 'problem', exc)}{where}"
        ) from None
    finally:
        loader.dispose()
    lines: dict[Path, int] = {}
    constructor = yaml.SafeLoader("")

    def walk(n: yaml.Node, path: Path) -> Any:
        lines[path] = n.start_mark.line + 1
        if isinstance(n, yaml.MappingNode):
            result: dict[str, Any] = {}
            for key_node, value_node in n.value:
                key = str(constructor.construct_object(key_node))
                if key in result:
                    raise YamlError(
                        f"{format_path(path + (key,))}: duplicate key (line "
                        f"{key_node.start_mark.line + 1})"
                    )
                result[key] = walk(value_node, path + (key,))
            return result
        if isinstance(n, yaml.SequenceNode):
            return [walk(item, path + (i,)) for i, item in enumerate(n.value)]
        try:
            return _plain(constructor.construct_object(n))
        except ValueError as exc:
            raise YamlError(f"{format_path(path)}: {exc} (line {n.start_mark.line + 1})") from None

    if node is None:
        return None, lines
    return walk(node, ()), lines
