"""Comments on cases: the routes that list and add them (reading them is part of a case's
detail, server.cases.detail; this package builds on server.cases, never the other way round)."""
