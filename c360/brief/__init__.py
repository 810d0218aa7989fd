"""The 360° brief (see ``service.BriefService``): ``resolve`` which customer, ``facts`` read
that customer's records, ``answer`` the question (one function per kind), ``sections`` compose
the fixed sections (pure), ``grounding`` is the citation guard, ``llm`` the optional prose,
``result`` the types returned; ``vocabulary`` is the field-value index they share."""

from c360.brief.result import BriefResult, Citation, Item, NextAction, Section
from c360.brief.service import BriefService

__all__ = ["BriefResult", "BriefService", "Citation", "Item", "NextAction", "Section"]
