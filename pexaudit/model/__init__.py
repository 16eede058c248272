"""Model: one bilan built once from an audit (:mod:`pexaudit.model.bilan`) and the consolidation
of a batch (:mod:`pexaudit.model.consolidation`), which every document lays out."""
