"""``python -m benchmarks [--quick] [--json] [--only NAME ...]``"""

from ._runner import main

raise SystemExit(main())
