"""Distribution: livelong nodes speak the Erlang distribution protocol.

Everything here that touches bytes is sans-IO (bytes in, values or events out, no
asyncio), except the EPMD server and client:

* :mod:`livelong.dist._terms`: the Python types of Erlang terms Python lacks
  (``Atom``, ``ImproperList``, ``Port``, opaque ``Fun``/``BitBinary``, ``ExportFun``)
  and the struct registry for user classes;
* :mod:`livelong.dist._etf`: the External Term Format codec (``encode``/``decode``
  with a ``Codec`` naming the local node and its creation; the encoder is in
  ``_etf_encode``, what both share in ``_etf_common``);
* :mod:`livelong.dist._control`: the distribution control messages and the
  pass-through frame codec;
* :mod:`livelong.dist._epmd`: the EPMD request/reply codec (ALIVE2, PORT_PLEASE2,
  NAMES); :mod:`livelong.dist._epmd_server` an EPMD-compatible server and a client;
* :mod:`livelong.dist._handshake`: the OTP 23+ handshake as a state machine for both
  sides;
* :mod:`livelong.dist._framing`: the 4-byte length framing of a connection, ticks and
  the dead-peer policy.
"""
