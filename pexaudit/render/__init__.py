"""Renderers: the HTML report, the workbook, the letter, the consolidation, charts and the
headless browser that prints. They lay out the model; no arithmetic on money."""
