"""`make bench`: every benchmark in turn (the broadcast ones take about six minutes each)."""

import sys

from bench import broadcast, search_quality

search_quality.main()
for extra in ([], ["--kill"]):
    sys.argv = ["bench.broadcast", *extra]
    broadcast.main()
