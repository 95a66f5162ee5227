"""Geographic reference data shipped with eonode (no downloads): country outlines."""
