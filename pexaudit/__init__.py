"""pexaudit: audit of State subsidy conventions, from annexe 2 to the bilan financier."""

import os
import sys

# An audit of public money sends nothing anywhere: GX usage statistics off before any import.
os.environ["GX_ANALYTICS_ENABLED"] = "False"

# jsonschema compiles ~35 parsers at import when rfc3987_syntax is installed (jsonschema
# issue #1428): about 1 s in every process that imports GX, nbformat or papermill. Nothing
# here validates IRI formats, so the optional module is declared absent: jsonschema then skips
# that format checker (it already treats the module as optional).
sys.modules.setdefault("rfc3987_syntax", None)

__version__ = "0.1.0"
