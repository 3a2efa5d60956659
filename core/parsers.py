"""Request parsers of the API (set as DRF's ``DEFAULT_PARSER_CLASSES``)."""

from __future__ import annotations

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class SafeJSONParser(JSONParser):
    """DRF's JSON parser that answers 400 on JSON nested too deeply to decode.

    Python's ``json`` decoder recurses once per nesting level and raises
    ``RecursionError`` on bodies such as ``'{"a":' * 100000 + '1' + '}' * 100000``;
    DRF's parser only catches ``ValueError``, so such a body was a 500.

    Raises
    ------
    rest_framework.exceptions.ParseError
        On invalid JSON (as DRF) and on JSON nested deeper than the interpreter's
        recursion limit.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("Malformed JSON: nested too deeply.") from None
