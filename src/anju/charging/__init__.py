"""E-bike charging (issue 18): a session per socket, started by scanning its QR or by a card, prepaid from a
wallet in the fees ledger, cut off when full or when time is up, resumed after a power cut."""
