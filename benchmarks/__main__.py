"""``python -m benchmarks [--quick] [--json] [--only NAME ...]``; ``python -m
benchmarks codec [--quick] [--json]`` for the ETF codec rows."""

import sys

if sys.argv[1:2] == ["codec"]:
    from ._codec import main as codec_main

    raise SystemExit(codec_main(sys.argv[2:]))

from ._runner import main

raise SystemExit(main())
