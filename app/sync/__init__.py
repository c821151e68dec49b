"""Sync with the central server: outbox push, resumable photo upload, change-feed pull (no Qt)."""
