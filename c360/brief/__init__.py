"""The 360° brief (see ``service.BriefService``): ``resolve`` which customer (``descriptions``
when the question describes it), ``facts`` read that customer's records, ``answer`` the question
(one function per kind), ``sections`` compose the fixed sections (pure), ``lead`` what the
answer says first, ``grounding`` is the citation guard (``labels``: a citation in words),
``llm`` the optional prose, ``result`` the types returned; ``vocabulary`` is the field-value
index they share."""

from c360.brief.result import BriefResult, Citation, Item, NextAction, Section
from c360.brief.service import BriefService

__all__ = ["BriefResult", "BriefService", "Citation", "Item", "NextAction", "Section"]
