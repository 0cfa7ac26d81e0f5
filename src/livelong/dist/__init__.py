"""Erlang distribution: EPMD, handshake, framing, term codec and node glue."""
