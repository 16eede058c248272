"""pexaudit: audit of State subsidy conventions, from annexe 2 to the bilan financier."""

import os

# An audit of public money sends nothing anywhere: GX usage statistics off before any import.
os.environ["GX_ANALYTICS_ENABLED"] = "False"

__version__ = "0.1.0"
