"""Suite-wide settings. The AppTest page tests drive the study pages through their buttons, so the
server's start-up warm-up (ui.studies) is off here; tests/test_warmup.py turns it on itself,
and the e2e servers (tests/e2e) run with it on, as `make run` does."""

import os

os.environ["HRA_VIZ_WARM"] = "0"
