"""Every query on the ledger, one module per table family, named in the business's words.

Functions take the caller's session: the caller owns the transaction (`session_scope`), so the
writes of one step (a turn's records, an attempt and its audit entry) commit together or not at
all. Nothing outside this package builds a query; it calls these functions.
"""
