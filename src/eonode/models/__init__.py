"""Pure data: no I/O, no web framework, no database."""
