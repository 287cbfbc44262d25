"""The treating doctor's portal (``/portal/doctor/``): their own cases only."""
