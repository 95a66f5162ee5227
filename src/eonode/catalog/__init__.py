"""The catalogue: STAC collections and items, search, and the change feed."""
