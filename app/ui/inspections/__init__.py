"""Scored inspections in the app: recording one (:mod:`.panel`) and the scores and the
year-end assessment (:mod:`.scores`)."""
