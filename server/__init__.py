"""The CityPatrol central server (FastAPI). From the client it imports only ``app.domain``."""
