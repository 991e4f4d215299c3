"""The one YAML loader for plan files: YAML 1.2 core-schema scalars, bounded work, findings with lines.

PyYAML reads YAML 1.1, where `010` is 8, `012` is 10, `1:30` is 90, `0x1F` is 31 and `no` is
False. A plan comes from people (and by e-mail), so here a plain scalar is a number only in its
plain decimal form; the forms YAML 1.1 would have turned into another number are refused with a
hint to quote them, never changed silently. `yes`/`no`/`on`/`off` stay text (YAML 1.2).
Duplicate keys are an error; a comment right after a text value (`titolo: X #1 Y`) is a warning.

Composing is bounded before anything is built: depth, and nodes counted with every alias
expanded (a 1 KB "billion laughs" of anchors is refused at once instead of filling the memory).

`read_yaml(text)` returns `(data, node, findings)`; it raises `YamlRefused` (carrying a finding)
for what stops the reading.
"""

from __future__ import annotations

import re

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

from ..findings import Finding, SchedeError, finding

MAX_DEPTH = 64
"""Levels of nesting: a plan has six or seven."""
MAX_NODES = 200_000
"""Values in the document with every alias expanded: a plan of 100 objectives has about 10,000."""

_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_STR = "tag:yaml.org,2002:str"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
AMBIGUOUS = "tag:schede-excel,2023:ambiguous"
"""A plain scalar that YAML 1.1 reads as a number other than the digits written: refused."""


class YamlRefused(SchedeError):
    """The YAML text cannot be read at all; `findings` says why."""


class _Resolver(BaseResolver):
    """YAML 1.2 core schema, plus dates (plans write 2023-06-30), plus the YAML 1.1 number forms marked ambiguous."""


_Resolver.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
_Resolver.add_implicit_resolver(_INT, re.compile(r"^(?:[-+]?(?:0|[1-9][0-9]*))$"), list("-+0123456789"))
_Resolver.add_implicit_resolver(
    _FLOAT, re.compile(r"^(?:[-+]?(?:0|[1-9][0-9]*)(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?|[-+]?\.[0-9]+(?:[eE][-+]?[0-9]+)?"
                       r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"), list("-+0123456789."))
_Resolver.add_implicit_resolver(_NULL, re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""])
_Resolver.add_implicit_resolver(
    _TIMESTAMP, re.compile(r"^(?:[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}"
                           r"(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)?)$"), list("0123456789"))
_Resolver.add_implicit_resolver(
    AMBIGUOUS, re.compile(r"^(?:[-+]?0[0-9_]+(?:\.[0-9_]*)?"  # 010, 012: octal in YAML 1.1
                          r"|[-+]?0[xX][0-9a-fA-F_]+|[-+]?0[oO][0-7_]+|[-+]?0[bB][01_]+"  # 0x1F, 0o17, 0b101
                          r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?"  # 1:30 is 90 (base 60)
                          r"|[-+]?[0-9][0-9_]*_[0-9_]*(?:\.[0-9_]*)?)$"),  # 1_000 is 1000
    list("-+0123456789"))



_THOUSANDS = re.compile(r"^\d{1,3}(\.\d{3})+$")
def reads_as_text(plain: str) -> bool:
    """True when `plain`, written without quotes, is read back by this loader as that very text."""
    return _Resolver().resolve(yaml.ScalarNode, plain, (True, False)) == _STR


class _Constructor(SafeConstructor):
    """Safe construction; an ambiguous scalar stays the text written (it is reported), an impossible date too."""

    def construct_ambiguous(self, node):
        return self.construct_scalar(node)

    def construct_timestamp(self, node):
        try:
            return SafeConstructor.construct_yaml_timestamp(self, node)
        except ValueError:  # 2023-02-31: text, for the checks to report
            return self.construct_scalar(node)


_Constructor.add_constructor(AMBIGUOUS, _Constructor.construct_ambiguous)
_Constructor.add_constructor(_TIMESTAMP, _Constructor.construct_timestamp)


class _Composer(Composer):
    """Composition bounded in depth and in nodes counted with every alias expanded."""

    def __init__(self):
        super().__init__()
        self._depth = 0
        self._expanded = 0
        self._sizes: dict[int, int] = {}

    def compose_node(self, parent, index):
        event = self.peek_event()
        if self._depth >= MAX_DEPTH:
            raise _refused(event.start_mark, f"oltre {MAX_DEPTH} livelli di rientro o di parentesi annidate")
        self._depth += 1
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        self._expanded += self._size(node) if isinstance(event, AliasEvent) else 1
        if self._expanded > MAX_NODES:
            raise _refused(event.start_mark, f"con gli alias (*nome) espansi conterrebbe oltre {MAX_NODES:,} valori "
                           "(possibile «bomba» di alias)".replace(",", "."))
        return node

    def _size(self, node) -> int:
        """Values in `node` with aliases expanded (memoised: shared nodes are counted once per use, cheaply)."""
        known = self._sizes.get(id(node))
        if known is not None:
            return known
        if isinstance(node, yaml.MappingNode):
            size = 1 + sum(self._size(k) + self._size(v) for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            size = 1 + sum(self._size(item) for item in node.value)
        else:
            size = 1
        self._sizes[id(node)] = size
        return size


class _Loader(Reader, Scanner, Parser, _Composer, _Constructor, _Resolver):
    def __init__(self, stream):
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        _Composer.__init__(self)
        _Constructor.__init__(self)
        _Resolver.__init__(self)


def _refused(mark, detail: str) -> YamlRefused:
    return YamlRefused([finding("PLAN_028", line=mark.line + 1 if mark else None, detail=detail)])


def read_yaml(text: str, file: str | None = None) -> tuple[object, yaml.Node | None, list[Finding]]:
    """(data, the composed node, findings) of a YAML document; raises `YamlRefused` or `yaml.YAMLError`."""
    loader = _Loader(text)
    try:
        try:
            node = loader.get_single_node()
        except RecursionError:  # deeper than Python can follow, before our own bound: refused the same way
            raise _refused(None, f"oltre {MAX_DEPTH} livelli di rientro o di parentesi annidate") from None
        except YamlRefused as error:
            raise YamlRefused([f.model_copy(update={"file": file}) for f in error.findings]) from None
        findings = [] if node is None else _check(node, text, file)
        data = None if node is None else loader.construct_document(node)
    finally:
        loader.dispose()
    return data, node, findings


_QUOTE_FIX = {
    "ottale": "senza zeri iniziali",
    "esadecimale": "in cifre decimali",
    "sessagesimale": "con la virgola o il punto decimale (1,5 e non 1:30)",
    "migliaia": "senza «_» tra le cifre",
}


def _reading(value: str) -> tuple[str, str]:
    """How YAML 1.1 would have read an ambiguous scalar: (the number it would have given, which kind)."""
    loader = yaml.SafeLoader("")
    try:
        number = yaml.SafeLoader.construct_yaml_int(loader, yaml.ScalarNode("tag:yaml.org,2002:int", value))
    except (ValueError, TypeError):
        try:
            number = yaml.SafeLoader.construct_yaml_float(loader, yaml.ScalarNode("tag:yaml.org,2002:float", value))
        except (ValueError, TypeError):
            number = None
    finally:
        loader.dispose()
    plain = value.lstrip("+-").lower()
    kind = ("esadecimale" if plain.startswith(("0x", "0b", "0o")) else "sessagesimale" if ":" in plain
            else "migliaia" if "_" in plain else "ottale")
    return ("un altro numero" if number is None else f"{number:g}" if isinstance(number, float) else str(number)), kind


def _check(root, text: str, file: str | None) -> list[Finding]:
    """Duplicate keys, ambiguous numbers, comments cutting a text: each node once, aliases not followed."""
    out: list[Finding] = []
    lines = text.splitlines()
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            keys: dict[object, int] = {}
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    line = key.start_mark.line + 1
                    if key.value in keys:
                        out.append(finding("PLAN_027", file=file, line=line, key=key.value, other=keys[key.value]))
                    else:
                        keys[key.value] = line
                    if (key.value == "atteso" and isinstance(value, yaml.ScalarNode) and value.style is None
                            and _THOUSANDS.match(value.value)):  # 1.250 is 1,25 to YAML, 1250 to an Italian
                        out.append(finding("PLAN_029", file=file, line=value.start_mark.line + 1, found=value.value,
                                           reading=value.value.replace(".", ","), whole=value.value.replace(".", "")))
                stack += [value, key]
        elif isinstance(node, yaml.SequenceNode):
            stack += reversed(node.value)
        elif isinstance(node, yaml.ScalarNode) and node.style is None:
            if node.tag == AMBIGUOUS:
                number, kind = _reading(node.value)
                out.append(finding("PLAN_025", file=file, line=node.start_mark.line + 1, found=f"«{node.value}»",
                                   reading=number, quoted=f'"{node.value}"', fix=_QUOTE_FIX[kind]))
            elif node.tag == _STR and node.end_mark.line < len(lines):
                rest = lines[node.end_mark.line][node.end_mark.column:]
                if re.match(r"[ \t]+#", rest) and node.start_mark.line == node.end_mark.line:
                    out.append(finding("PLAN_026", file=file, line=node.start_mark.line + 1, value=node.value))
    out.sort(key=lambda f: f.line or 0)
    return out
