"""Asset bytes: content-addressed blob stores (sha256 keys), verified on every write."""
