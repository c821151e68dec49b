"""Scored inspections: checklist templates (督导检查、市场化保洁考核)."""
