"""Core: the audit itself, in named steps (:mod:`pexaudit.core.audit`): the article-4 row rules
(GX suites), the auditor's decisions, the aggregate rules, settlement, findings (one registry)
and stakes. Pure functions over frames and frozen values; no document is laid out here."""
