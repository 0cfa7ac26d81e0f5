"""Distribution: livelong nodes speak the Erlang distribution protocol.

Everything here that touches bytes is sans-IO (bytes in, values out, no asyncio):

* :mod:`livelong.dist._terms`: the Python types of Erlang terms Python lacks
  (``Atom``, ``ImproperList``, ``Port``, opaque ``Fun``/``BitBinary``, ``ExportFun``)
  and the struct registry for user classes;
* :mod:`livelong.dist._etf`: the External Term Format codec (``encode``/``decode``
  with a ``Codec`` naming the local node and its creation; the encoder is in
  ``_etf_encode``, what both share in ``_etf_common``);
* :mod:`livelong.dist._control`: the distribution control messages and the
  pass-through frame codec.
"""
