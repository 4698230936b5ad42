"""Pulumi.<stack>.yaml as `pulumi config set` and `config rm` rewrite it.

The CLI keeps the file's bytes (ProjectStack.raw, "used to attempt trivia-preserving edits",
sdk/go/common/workspace/project.go) and saves through yamlutil.Edit (sdk/go/common/util/yamlutil/
edit.go): it parses the old file into go-yaml v3 nodes, marshals the new ProjectStack, and merges
the two with editNodes, which keeps an old node (its style and its comments) wherever the new value
has a node of the same kind at the same key, taking only the new tag and value; a key the new value
lacks goes with its comments, a new key comes as go-yaml marshals it. Then YamlEncode writes the
whole document again with a 2-space indent (yamlutil/encode.go). What that means for the text:

- The config keys come out in go-yaml's map order (config.Map.MarshalYAML returns a Go map, which
  go-yaml sorts with keyList.Less, sorter.go), the top-level keys in ProjectStack's field order, and
  a top-level key that ProjectStack does not know is dropped.
- Blank lines are gone: a yaml.Node has no place for them (go-yaml/yaml#627); a `---` too.
- Comments stay with their key (head comments above it, at its indentation) or value (line
  comments, after one space).
- A kept scalar keeps its quoting; a plain one that would now read as another type than the string
  Pulumi stores (`true`, `60`) is double-quoted (encode.go, node: forceQuoting). A new string is
  plain where it can be, else double-quoted when plain it would read as another type or as a YAML 1.1
  bool or base-60 number (encode.go, stringv), else single-quoted when plain is not allowed (`: `,
  ` #`, a leading indicator; libyaml's emitter, yaml_emitter_analyze_scalar).

Not modelled: comments inside flow collections, folded scalars (written as literal ones), anchors.
"""

from __future__ import annotations

import copy
import functools
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Optional

import yaml

# ProjectStack's fields in declared order (project.go).
TOP_LEVEL = ("secretsprovider", "encryptedkey", "encryptionsalt", "config", "environment")
INDENT = 2


@dataclass
class Node:
    kind: str  # "scalar", "mapping" or "sequence"
    value: str = ""
    tag: str = "str"
    style: str = ""  # scalars: "", '"', "'", "|", ">"; collections: "" (block) or "flow"
    content: list["Node"] = field(default_factory=list)  # a mapping's keys and values alternate
    head: list[str] = field(default_factory=list)
    line: str = ""


# --- reading: PyYAML's composer for the nodes, the text for the comments ---

def parse(text: str) -> tuple[Optional[Node], list[str], list[str], bool]:
    """The document's root node, its head comment, its foot comment, and whether a blank line came before the foot."""
    root = yaml.compose(text, Loader=yaml.SafeLoader) if text.strip() else None
    lines = text.splitlines()
    if root is None:
        comments = [line.strip() for line in lines if line.strip().startswith("#")]
        return None, [], comments, False
    scalars: dict[int, tuple[int, yaml.Node]] = {}
    starts: list[tuple[int, Node]] = []
    node = _convert(root, scalars, starts)
    for number, (column, scalar) in scalars.items():
        match = re.match(r"[\s:,\]\}\[\{-]*(#.*)$", lines[number][column:])
        if match:
            scalar.line = match.group(1).rstrip()
    taken: set[int] = set()
    document_head: list[str] = []
    for start, owner in sorted(starts, key=lambda pair: pair[0]):
        block, number = [], start - 1
        while number >= 0 and number not in taken and _is_comment_or_blank(lines[number]):
            block.insert(0, number)
            number -= 1
        taken.update(block)
        comments = [lines[n].strip() for n in block if lines[n].strip()]
        if number < 0 and comments and not lines[block[-1]].strip():
            document_head = comments  # separated from the first key by a blank line
        else:
            owner.head = comments
    last = max(index for index, line in enumerate(lines) if not _is_comment_or_blank(line))
    tail = [n for n in range(last + 1, len(lines))]
    foot = [lines[n].strip() for n in tail if lines[n].strip()]
    blank_before_foot = bool(foot) and not lines[tail[0]].strip()
    return node, document_head, foot, blank_before_foot


def _is_comment_or_blank(line: str) -> bool:
    return not line.strip() or line.strip().startswith("#")


def _convert(source: yaml.Node, scalars: dict, starts: list) -> Node:
    if isinstance(source, yaml.ScalarNode):
        node = Node("scalar", source.value, _resolve(source.value) if source.style is None else "str",
                    source.style or "")
        if source.end_mark.line == source.start_mark.line or source.style not in ("|", ">"):
            end = source.end_mark
            if end.line not in scalars or scalars[end.line][0] <= end.column:
                scalars[end.line] = (end.column, node)
    elif isinstance(source, yaml.MappingNode):
        node = Node("mapping", tag="map", style="flow" if source.flow_style else "")
        for key, value in source.value:
            converted = _convert(key, scalars, starts)
            if not source.flow_style:
                starts.append((key.start_mark.line, converted))
            node.content += [converted, _convert(value, scalars, starts)]
    else:
        node = Node("sequence", tag="seq", style="flow" if source.flow_style else "")
        for item in source.value:
            converted = _convert(item, scalars, starts)
            if not source.flow_style:
                starts.append((item.start_mark.line, converted))
            node.content.append(converted)
    return node


# --- go-yaml v3's resolver and string styles (resolve.go, encode.go) ---

_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_INT = re.compile(r"^[-+]?(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|[0-9]+)$")
_TIMESTAMP = re.compile(r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ][0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(\.[0-9]+)?"
                        r"(Z|[-+][0-9]{2}:[0-9]{2})?)?$")
_BASE60 = re.compile(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$")
_OLD_BOOLS = {"y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "n", "N", "no", "No", "NO", "off", "Off", "OFF"}


def _resolve(plain: str) -> str:
    """The tag a plain scalar reads as (resolve.go: YAML 1.2 booleans only)."""
    if plain in ("", "~", "null", "Null", "NULL"):
        return "null"
    if plain in ("true", "True", "TRUE", "false", "False", "FALSE"):
        return "bool"
    if plain in (".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN"):
        return "float"
    if plain == "<<":
        return "merge"
    if plain[0] in "0123456789+-.":
        if _TIMESTAMP.match(plain):
            return "timestamp"
        bare = plain.replace("_", "")
        if _INT.match(bare):
            return "int"
        if _FLOAT.match(bare):
            return "float"
    return "str"


def _plain_allowed(value: str) -> bool:
    """libyaml's yaml_emitter_analyze_scalar, for block context."""
    if not value or value != value.strip() or value.startswith(("---", "...")):
        return False
    if value[0] in "?:-" and (len(value) == 1 or value[1] in " \t"):
        return False
    if value[0] in ",[]{}#&*!|>'\"%@`":
        return False
    if ": " in value or " #" in value or value.endswith(":") or "\t" in value:
        return False
    return all(_printable(ch) for ch in value)


def _printable(ch: str) -> bool:
    return ch == "\n" or (ch >= " " and ch != "\x7f" and unicodedata.category(ch) not in ("Cc", "Cs"))


def string_style(value: str) -> str:
    """The style go-yaml marshals a Go string with (encode.go, stringv, then the emitter's choice)."""
    if "\n" in value:
        return "|"
    if _resolve(value) != "str" or _BASE60.match(value) or value in _OLD_BOOLS:
        return '"'
    if _plain_allowed(value):
        return ""
    return "'" if all(_printable(ch) for ch in value) else '"'


# go-yaml's map key order (sorter.go, keyList.Less) for string keys.
def _key_less(a: str, b: str) -> bool:
    for i in range(min(len(a), len(b))):
        if a[i] == b[i]:
            continue
        al, bl = a[i].isalpha(), b[i].isalpha()
        if al and bl:
            return a[i] < b[i]
        if al or bl:
            return bl
        an = bn = 0
        if a[i] == "0" or b[i] == "0":
            j = i - 1
            while j >= 0 and a[j].isdigit():
                if a[j] != "0":
                    an = bn = 1
                    break
                j -= 1
        ai = i
        while ai < len(a) and a[ai].isdigit():
            an = an * 10 + int(a[ai])
            ai += 1
        bi = i
        while bi < len(b) and b[bi].isdigit():
            bn = bn * 10 + int(b[bi])
            bi += 1
        if an != bn:
            return an < bn
        if ai != bi:
            return ai < bi
        return a[i] < b[i]
    return len(a) < len(b)


def sorted_keys(keys) -> list[str]:
    return sorted(keys, key=functools.cmp_to_key(lambda a, b: -1 if _key_less(a, b) else (1 if _key_less(b, a) else 0)))


def marshal(value, ordered: bool = False) -> Node:
    """A value as yaml.Marshal writes it and yaml.Unmarshal reads it back into nodes."""
    if isinstance(value, dict):
        node = Node("mapping", tag="map")
        for key in (list(value) if ordered else sorted_keys(value)):
            node.content += [marshal(key), marshal(value[key])]
        return node
    if isinstance(value, list):
        return Node("sequence", tag="seq", content=[marshal(item) for item in value])
    if isinstance(value, bool):
        return Node("scalar", "true" if value else "false", "bool")
    if isinstance(value, (int, float)):
        return Node("scalar", str(value), "int" if isinstance(value, int) else "float")
    if value is None:
        return Node("scalar", "null", "null")
    return Node("scalar", str(value), "str", string_style(str(value)))


# --- yamlutil.Edit: editNodes ---

def edit_nodes(original: Node, new: Node) -> Node:
    if original.kind != new.kind:
        return new
    result = copy.copy(original)
    result.tag, result.value = new.tag, new.value
    if original.kind == "sequence":
        shortest = min(len(original.content), len(new.content))
        result.content = [edit_nodes(original.content[i], new.content[i]) for i in range(shortest)]
        result.content += new.content[shortest:]
    elif original.kind == "mapping":
        olds = {original.content[i].value: i for i in range(0, len(original.content), 2)}
        result.content = []
        for i in range(0, len(new.content), 2):
            key = new.content[i].value
            if key in olds:
                at = olds[key]
                result.content += [edit_nodes(original.content[at], new.content[i]),
                                   edit_nodes(original.content[at + 1], new.content[i + 1])]
            else:
                result.content += [new.content[i], new.content[i + 1]]
    else:
        result.content = new.content
    return result


# --- YamlEncode: go-yaml v3's emitter with SetIndent(2) ---

def _scalar_text(node: Node) -> str:
    style = node.style
    if style == "" and node.tag == "str" and _resolve(node.value) != "str":
        style = '"'  # node: forceQuoting
    if style == "" and not _plain_allowed(node.value) and node.tag == "str":
        style = "'" if all(_printable(ch) for ch in node.value) and "\n" not in node.value else '"'
    if style == '"':
        return '"' + "".join(_escape(ch) for ch in node.value) + '"'
    if style == "'":
        return "'" + node.value.replace("'", "''") + "'"
    return node.value


_ESCAPES = {"\0": "\\0", "\a": "\\a", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\v": "\\v", "\f": "\\f",
            "\r": "\\r", "\x1b": "\\e", '"': '\\"', "\\": "\\\\", "\x85": "\\N", "\xa0": "\\_",
            "\u2028": "\\L", "\u2029": "\\P"}


def _escape(ch: str) -> str:
    if ch in _ESCAPES:
        return _ESCAPES[ch]
    if not _printable(ch) or ch == "\ufeff":
        code = ord(ch)
        return f"\\x{code:02X}" if code <= 0xFF else f"\\u{code:04X}" if code <= 0xFFFF else f"\\U{code:08X}"
    return ch


def _flow_text(node: Node) -> str:
    if node.kind == "scalar":
        return _scalar_text(node)
    if node.kind == "sequence":
        return "[" + ", ".join(_flow_text(item) for item in node.content) + "]"
    pairs = zip(node.content[::2], node.content[1::2])
    return "{" + ", ".join(f"{_flow_text(key)}: {_flow_text(value)}" for key, value in pairs) + "}"


def _inline(node: Node) -> bool:
    return node.kind == "scalar" or node.style == "flow" or not node.content


def _after(node: Node) -> str:
    return f" {node.line}" if node.line else ""


def _emit(node: Node, indent: int, out: list[str], first_prefix: Optional[str] = None) -> None:
    """Writes a block collection at `indent`; its first line may start after a sequence's "- "."""
    pad = " " * indent
    if node.kind == "mapping":
        pairs = list(zip(node.content[::2], node.content[1::2]))
        for index, (key, value) in enumerate(pairs):
            lead = first_prefix if index == 0 and first_prefix is not None else pad
            if not (index == 0 and first_prefix is not None):
                out.extend(pad + comment for comment in key.head)
            start = f"{lead}{_scalar_text(key)}:"
            if _inline(value) and value.style not in ("|", ">"):
                text = _flow_text(value) if value.kind != "scalar" else _scalar_text(value)
                out.append(f"{start} {text}{_after(key) or _after(value)}")
            elif value.kind == "scalar":
                out.append(f"{start} {_block_header(value)}{_after(key) or _after(value)}")
                out.extend(_block_lines(value.value, indent + INDENT))
            else:
                out.append(start + _after(key))
                _emit(value, indent + INDENT, out)
    else:
        for index, item in enumerate(node.content):
            lead = first_prefix if index == 0 and first_prefix is not None else pad
            if not (index == 0 and first_prefix is not None):
                out.extend(pad + comment for comment in item.head)
            if _inline(item) and item.style not in ("|", ">"):
                out.append(f"{lead}- {_flow_text(item)}{_after(item)}")
            elif item.kind == "scalar":
                out.append(f"{lead}- {_block_header(item)}{_after(item)}")
                out.extend(_block_lines(item.value, indent + INDENT))
            else:
                out.extend(pad + comment for comment in item.content[0].head if item.kind == "mapping")
                _emit(item, indent + INDENT, out, first_prefix=f"{lead}- ")


def _block_header(node: Node) -> str:
    trailing = len(node.value) - len(node.value.rstrip("\n"))
    return "|" + ("-" if trailing == 0 else "" if trailing == 1 else "+")


def _block_lines(value: str, indent: int) -> list[str]:
    return [(" " * indent + line) if line else "" for line in value.rstrip("\n").split("\n")]


def encode(root: Node, document_head: list[str], foot: list[str], blank_before_foot: bool) -> str:
    out = list(document_head) + ([""] if document_head else [])
    if _inline(root):
        out.append(_flow_text(root))
    else:
        _emit(root, 0, out)
    if foot:
        out.extend([""] * blank_before_foot + foot)
    return "\n".join(out) + "\n"


# --- the stack file ---

def load_values(text: str) -> dict:
    data = yaml.safe_load(text) if text.strip() else None
    return data if isinstance(data, dict) else {}


def rewrite(text: str, top_level: dict) -> str:
    """yamlutil.Edit(raw, projectStack): `top_level` is the new ProjectStack (TOP_LEVEL keys, config a dict)."""
    new = marshal({key: top_level[key] for key in TOP_LEVEL if top_level.get(key)}, ordered=True)
    original, document_head, foot, blank = parse(text)
    node = edit_nodes(original, new) if original is not None else new
    return encode(node, document_head, foot, blank)
