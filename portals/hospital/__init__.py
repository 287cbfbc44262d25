"""The hospital admin's portal (``/portal/hospital/``): their hospital's cases, shipment side."""
