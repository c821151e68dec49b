"""Evidence capture: photo metadata, GPS positions and patrol tracks (library code, no Qt)."""
