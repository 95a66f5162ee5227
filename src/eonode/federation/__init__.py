"""Federation: child nodes following a parent node's feed and copying its bytes."""
