"""The brief, in rooms: what an answer leads with (``lead``) and how a citation is named
(``labels``). The brief service (``c360.services.briefs``) calls them."""
