"""The booking gateway: a FastAPI service (the [gateway] extra) that books consultations."""
