"""The one YAML loader for plan files: YAML 1.2 core-schema scalars, bounded work, findings with lines.

PyYAML reads YAML 1.1, where `010` is 8, `012` is 10, `1:30` is 90, `0x1F` is 31 and `no` is
False. A plan comes from people (and by e-mail), so here a plain scalar is a number only in its
plain decimal form; the forms YAML 1.1 would have turned into another number are refused with a
hint to quote them, never changed silently. `yes`/`no`/`on`/`off` stay text (YAML 1.2).
Duplicate keys are an error; a comment right after a text value (`titolo: X #1 Y`) is a warning.

The text is parsed once, by libyaml's C parser where PyYAML has it (else by PyYAML's own), and
one loop over the parser's events builds the nodes (their marks give the findings' lines), the
data and the findings together: nothing walks the document a second time. The loop is bounded
before anything is built: depth, and the values aliases repeat, counted with every alias inside
them expanded (a 1 KB "billion laughs" of anchors is refused at once instead of filling the
memory). The two parsers word their errors differently; each syntax error gets one Italian
message whichever parser found it.

`read_yaml(text)` returns `(data, node, findings)`; it raises `YamlRefused` (carrying a finding)
for what stops the reading. `line_of(node, path)` is the line of a key path in that node.
"""
from __future__ import annotations

import re

import yaml
from yaml.constructor import SafeConstructor
from yaml.events import (AliasEvent, MappingEndEvent, MappingStartEvent, ScalarEvent,
                         SequenceEndEvent, SequenceStartEvent, StreamEndEvent)
from yaml.nodes import MappingNode, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

from ..findings import Finding, SchedeError, finding

LIBYAML = yaml.__with_libyaml__
"""Parse with libyaml's C parser (about twenty times faster than PyYAML's own); tests turn it off to compare."""
MAX_DEPTH = 64
"""Levels of nesting: a plan has six or seven."""
MAX_DIGITS = 1000
"""Digits of a whole number: a weight or a year has a few; a thousand is never a plan's."""
MAX_REPEATED = 200_000
"""Values that aliases (`*nome`) repeat, each counted with the aliases inside it expanded: a plan has none or a few."""

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

_resolve = _Resolver().resolve


class _PyParser(Reader, Scanner, Parser):
    """PyYAML's own parser, for where libyaml is missing: the same events, slower."""

    def __init__(self, text: str):
        Reader.__init__(self, text)
        Scanner.__init__(self)
        Parser.__init__(self)


def _parser(text: str):
    if LIBYAML:
        from yaml._yaml import CParser

        return CParser(text)
    return _PyParser(text)


def read_yaml(text: str, file: str | None = None) -> tuple[object, _Collection | _Scalar | None, list[Finding]]:
    """(data, the composed node, findings) of a YAML document; raises `YamlRefused`."""
    parser = _parser(text)
    try:
        return _compose(parser, text, file)
    except yaml.MarkedYAMLError as error:
        raise _syntax_error(error, text, file) from None
    except yaml.reader.ReaderError as error:
        at = text.find(chr(error.character)) if isinstance(error.character, int) else -1
        raise YamlRefused([finding("PLAN_002", file=file, line=text.count("\n", 0, at) + 1 if at >= 0 else None,
                                   detail=f"c'è un carattere di controllo (U+{error.character:04X}), non ammesso "
                                          "neppure tra virgolette" if at >= 0 else str(error))]) from None
    finally:
        parser.dispose()


_COMMENT_AFTER = re.compile(r"[ \t]+#")
_SEQUENCE_TAG = BaseResolver.DEFAULT_SEQUENCE_TAG
_MAPPING_TAG = BaseResolver.DEFAULT_MAPPING_TAG
_QUOTED_TAG = BaseResolver.DEFAULT_SCALAR_TAG  # the resolver's tag for a scalar not plain (quoted, or a block of text)


def _compose(parser, text: str, file: str | None) -> tuple[object, _Collection | _Scalar | None, list[Finding]]:
    """One pass over the events: nodes, data and findings, refusing what is too deep or repeats too much."""
    findings: list[Finding] = []
    lines = text.splitlines() if "#" in text else []
    commented = {i for i, line in enumerate(lines) if "#" in line}  # only there can a comment follow a text
    constructor = _Constructor()
    constructors = constructor.yaml_constructors
    bool_values = constructor.bool_values
    explicit = False  # a tag written in the file (!!str...): the data is then built by PyYAML's constructor
    anchors: dict[str, tuple] = {}  # name -> (node, data, size); size None while the node is still open
    plain_tags: dict[str, str] = {}  # plain text -> its tag: keys and short values repeat thousands of times
    max_depth = MAX_DEPTH
    # The innermost open collection, in locals: its node and the node's list of children, its data, size and anchor,
    # and for a mapping {key: line} and the key waiting for its value (`seen` is None for a sequence).
    # `stack` keeps the enclosing collections' states.
    stack: list[tuple] = []
    depth = 0
    current = children = data = anchor_open = seen = key_node = key = None
    size_open = 0
    repeated = 0
    get = parser.get_event
    get()  # stream start
    if parser.check_event(StreamEndEvent):
        return None, None, []
    get()  # document start
    while True:
        event = get()
        kind = type(event)
        if kind is ScalarEvent:
            if depth >= max_depth:
                raise _refused(event.start_mark, f"oltre {MAX_DEPTH} livelli di rientro o di parentesi annidate", file)
            anchor = event.anchor
            if anchor is not None and anchor in anchors:
                raise _problem(event.start_mark, "«&» all'inizio di un valore: scriverlo tra virgolette", file)
            written = event.value
            tag = event.tag
            if tag is None or tag == "!":
                implicit = event.implicit
                if implicit[0]:
                    tag = plain_tags.get(written)
                    if tag is None:
                        tag = plain_tags[written] = _resolve(ScalarNode, written, implicit)
                else:
                    tag = _QUOTED_TAG
            else:
                explicit = True
            style = event.style or None  # libyaml says "" for plain, PyYAML None
            start = event.start_mark
            node = _Scalar(tag, written, start.line, start.column, style)
            # PyYAML's constructors, inlined for the tags of almost every value (same results)
            if tag == _STR or explicit:
                value = written
            elif tag == _INT:
                if len(written) > MAX_DIGITS:  # Python refuses to convert more than 4,300 digits
                    digits, limit = (f"{n:,}".replace(",", ".") for n in (len(written), MAX_DIGITS))
                    raise _problem(start, f"un numero di {digits} cifre (al massimo {limit}): scriverlo giusto, "
                                   "o tra virgolette se è un testo", file)
                value = int(written)
            elif tag == _NULL:
                value = None
            elif tag == _BOOL:
                value = bool_values[written.lower()]
            else:
                value = constructors[tag](constructor, ScalarNode(tag, written, node, None, style))
            size = 1
            if style is None:
                if tag == AMBIGUOUS:
                    number, fix = _reading(written)
                    findings.append(finding("PLAN_025", file=file, line=start.line + 1,
                                            found=f"«{written}»", reading=number, quoted=f'"{written}"', fix=fix))
                elif tag == _STR and commented:
                    end = event.end_mark
                    if (end.line in commented and start.line == end.line
                            and _COMMENT_AFTER.match(lines[end.line], end.column)):
                        findings.append(finding("PLAN_026", file=file, line=end.line + 1, value=written))
            if anchor is not None:
                anchors[anchor] = (node, value, 1)
        elif kind is MappingEndEvent or kind is SequenceEndEvent:
            node, value, size = current, data, size_open
            if anchor_open is not None:
                anchors[anchor_open] = (node, value, size)
            current, children, data, size_open, anchor_open, seen, key_node, key = stack.pop()
            depth -= 1
        elif kind is AliasEvent:
            if depth >= max_depth:
                raise _refused(event.start_mark, f"oltre {MAX_DEPTH} livelli di rientro o di parentesi annidate", file)
            anchor = event.anchor
            if anchor not in anchors:
                raise _problem(event.start_mark, "«*» all'inizio di un valore: scriverlo tra virgolette", file)
            node, value, size = anchors[anchor]
            if size is None:
                raise _refused(event.start_mark, "un alias (*nome) rimanda alla sezione stessa che lo contiene", file)
            repeated += size
            if repeated > MAX_REPEATED:
                raise _refused(event.start_mark, f"gli alias (*nome) ripeterebbero oltre {MAX_REPEATED:,} valori "
                               "(possibile «bomba» di alias)".replace(",", "."), file)
        else:  # a mapping or a sequence starts
            if depth >= max_depth:
                raise _refused(event.start_mark, f"oltre {MAX_DEPTH} livelli di rientro o di parentesi annidate", file)
            anchor = event.anchor
            if anchor is not None and anchor in anchors:
                raise _problem(event.start_mark, "«&» all'inizio di un valore: scriverlo tra virgolette", file)
            mapping = kind is MappingStartEvent
            tag = event.tag
            if tag is None or tag == "!":
                tag = _MAPPING_TAG if mapping else _SEQUENCE_TAG
            else:
                explicit = True
            start = event.start_mark
            stack.append((current, children, data, size_open, anchor_open, seen, key_node, key))
            depth += 1
            current = _Collection(tag, start.line, start.column, event.flow_style, mapping)
            children, data, size_open, anchor_open = current.value, {} if mapping else [], 1, anchor
            seen, key_node, key = {} if mapping else None, None, None
            if anchor is not None:
                anchors[anchor] = (current, data, None)
            continue
        if not depth:
            break
        size_open += size
        if seen is None:
            children.append(node)
            data.append(value)
        elif key_node is None:
            key_node, key = node, value
            if type(node) is _Scalar:
                other = seen.get(node.value)
                if other is None:
                    seen[node.value] = node.line + 1
                else:
                    findings.append(finding("PLAN_027", file=file, line=node.line + 1, key=node.value, other=other))
        else:
            children.append((key_node, node))
            if (type(key_node) is _Scalar and key_node.value == "atteso" and type(node) is _Scalar
                    and node.style is None and _THOUSANDS.match(node.value)):  # 1.250: 1,25 to YAML, 1250 to an Italian
                findings.append(finding("PLAN_029", file=file, line=node.line + 1, found=node.value,
                                        reading=node.value.replace(".", ","), whole=node.value.replace(".", "")))
            if not explicit:
                try:
                    data[key] = value
                except TypeError:
                    raise _problem(key_node, "una chiave non può essere un elenco o una sezione", file) from None
            key_node = key = None
    get()  # document end
    if not parser.check_event(StreamEndEvent):
        raise _problem(parser.peek_event().start_mark, "il file contiene più di un documento (righe «---»): ne serve "
                       "uno solo", file)
    if explicit:
        try:
            value = constructor.construct_document(_as_yaml_node(node))
        except yaml.YAMLError:
            raise
        except Exception as error:  # noqa: BLE001 - `!!int "abc"`, `!!timestamp ieri`: PyYAML's conversion fails
            raise _problem(_unconvertible(node), "un valore con un tipo scritto con «!!» non è di quel tipo (togliere "
                           f"«!!...» e scrivere il valore semplicemente; dettaglio: {error})", file) from None
    findings.sort(key=lambda f: f.line or 0)
    return value, node, findings


class _Scalar:
    """A scalar of the document, as small as it can be: the tree of a 5,000-objective plan is kept whole."""

    __slots__ = ("tag", "value", "line", "column", "style")

    def __init__(self, tag: str, value: str, line: int, column: int, style: str | None):
        self.tag, self.value, self.line, self.column, self.style = tag, value, line, column, style


class _Collection:
    """A mapping (`value` a list of (key, value) nodes) or a sequence (a list of nodes) of the document."""

    __slots__ = ("tag", "value", "line", "column", "flow_style", "mapping")

    def __init__(self, tag: str, line: int, column: int, flow_style: bool | None, mapping: bool):
        self.tag, self.value, self.line, self.column = tag, [], line, column
        self.flow_style, self.mapping = flow_style, mapping


def _as_yaml_node(node):
    """PyYAML's nodes for a document with tags written in it, which PyYAML's constructor then builds."""
    if type(node) is _Scalar:
        return ScalarNode(node.tag, node.value, node, None, node.style)
    if node.mapping:
        return MappingNode(node.tag, [(_as_yaml_node(k), _as_yaml_node(v)) for k, v in node.value], node, None,
                           node.flow_style)
    return SequenceNode(node.tag, [_as_yaml_node(v) for v in node.value], node, None, node.flow_style)


def _unconvertible(root):
    """The first scalar PyYAML's constructor cannot convert to its tag's type (the root when none alone fails)."""
    stack = [root]
    while stack:
        node = stack.pop()
        if type(node) is _Scalar:
            try:
                _Constructor().construct_object(ScalarNode(node.tag, node.value, node, None, node.style))
            except Exception:  # noqa: BLE001 - whatever the conversion raises, this is the value
                return node
        else:
            stack.extend(reversed([v for pair in node.value for v in pair] if node.mapping else node.value))
    return root


def line_of(root, path) -> int | None:
    """The 1-based line of a key path (keys and list indexes) in a composed document, or of its nearest ancestor."""
    if root is None:
        return None
    node, line = root, root.line + 1
    for part in path:
        if type(node) is _Collection and node.mapping:
            for key, value in reversed(node.value):  # a repeated key: the last one, which is the one read
                if (key.value if type(key) is _Scalar else str(key.line + 1)) == part:
                    node, line = value, key.line + 1
                    break
            else:
                return line
        elif type(node) is _Collection and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
            line = node.line + 1
        else:
            return line
    return line


def _refused(mark, detail: str, file: str | None) -> YamlRefused:
    return YamlRefused([finding("PLAN_028", file=file, line=mark.line + 1 if mark else None, detail=detail)])


def _problem(mark, detail: str, file: str | None) -> YamlRefused:
    return YamlRefused([finding("PLAN_002", file=file, line=mark.line + 1 if mark else None, detail=detail)])


# The parsers explain in English, each in its own words (PyYAML's first, then libyaml's): the usual mistakes, in Italian.
_PROBLEMS = [
    (("could not find expected ':'",), "manca «:» dopo un nome di campo"),
    (("mapping values are not allowed",),
     "«:» in un punto non previsto (un testo che contiene «: » va tra virgolette)"),
    (("found character", "found a tab character"), "carattere non ammesso in questo punto (il testo va tra virgolette)"),
    (("expected <block end>, but found", "did not find expected key", "did not find expected '-' indicator"),
     "rientro non coerente con le righe sopra"),
    (("expected the node content", "did not find expected node content"), "valore mancante o parentesi non chiusa"),
    (("found unexpected end of stream",), "il file finisce prima di una virgoletta o parentesi di chiusura"),
    (("expected ',' or ']'", "did not find expected ',' or ']'"), "elenco tra [ ] non chiuso correttamente"),
    (("expected ',' or '}'", "did not find expected ',' or '}'"), "sezione tra { } non chiusa correttamente"),
    (("sequence entries are not allowed", "block sequence entries are not allowed"),
     "«- » in un punto non previsto (gli elementi di un elenco vanno a capo, ognuno su una riga)"),
    (("expected alphabetic or numeric character", "did not find expected alphabetic or numeric character"),
     "«&» o «*» all'inizio di un valore: scriverlo tra virgolette"),
    (("found unknown escape character",), "«\\» tra virgolette doppie: scrivere «\\\\» oppure usare le virgolette semplici"),
    (("could not determine a constructor",), "un valore che inizia con «!» va scritto tra virgolette"),
    (("found unhashable key",), "una chiave non può essere un elenco o una sezione"),
    (("exceeded maximum nesting depth",), None),
]


def _syntax_error(error: yaml.MarkedYAMLError, text: str, file: str | None) -> YamlRefused:
    """PLAN_002 in Italian for a parser's error, the same whichever parser found it (PLAN_028 for libyaml's own depth bound)."""
    mark = error.problem_mark or error.context_mark
    problem = f"{error.problem or error.context}"
    for words, italian in _PROBLEMS:
        if problem.startswith(words):
            if italian is None:
                return _refused(mark, f"oltre {MAX_DEPTH} livelli di rientro o di parentesi annidate", file)
            if words[0] == "found character" and mark and _character_at(text, mark) == "\t":
                italian = "c'è una tabulazione: per i rientri usare solo spazi"
            return _problem(mark, italian, file)
    return _problem(mark, f"struttura non valida (dettaglio del lettore YAML: {problem})", file)


def _character_at(text: str, mark) -> str:
    lines = text.splitlines()
    return lines[mark.line][mark.column:mark.column + 1] if mark.line < len(lines) else ""


_QUOTE_FIX = {
    "ottale": "senza zeri iniziali",
    "esadecimale": "in cifre decimali",
    "sessagesimale": "con la virgola o il punto decimale (1,5 e non 1:30)",
    "migliaia": "senza «_» tra le cifre",
}


def _reading(value: str) -> tuple[str, str]:
    """How YAML 1.1 would have read an ambiguous scalar: (the number it would have given, how to write it)."""
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
    return ("un altro numero" if number is None else f"{number:g}" if isinstance(number, float) else str(number)), _QUOTE_FIX[kind]
