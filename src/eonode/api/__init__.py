"""The HTTP edge: thin routes over the node's services."""
