"""Characters that XML (xlsx, docx) cannot hold, in one place."""
from __future__ import annotations

import re

# C0 controls except tab/newline/CR, lone surrogates, and the two non-characters
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def has_xml_illegal(s: str) -> bool:
    return XML_ILLEGAL.search(s) is not None


def strip_xml_illegal(s: str) -> str:
    return XML_ILLEGAL.sub("", s)
