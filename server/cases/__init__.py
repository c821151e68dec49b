"""Cases: the push of inspectors' changes (ingest), supervisors' decisions, reading cases, and
who may see and do what (access). Comments build on this package; it never imports them."""
