"""The implementation of :mod:`livelong.testing`: schedule exploration (``_explore``)
and the pytest plugin (``_plugin``)."""
