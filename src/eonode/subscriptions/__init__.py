"""Subscriptions: saved queries matched against the change feed, with the semantics of search."""
