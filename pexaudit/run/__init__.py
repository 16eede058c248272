"""Orchestration: the papermill notebook on a kernel (:mod:`pexaudit.run.execute`) and batches on
warm workers (:mod:`pexaudit.run.batch`)."""
