"""`make bench`: every benchmark in turn (the broadcast ones take about six minutes each, the
webhook one about an hour: a throughput search for five configurations, 100 000 updates for
memory, five cold starts; the platform outage three minutes)."""

import os
import subprocess
import sys

from bench import booklet, broadcast, scripts, search_quality, studio, webhooks

search_quality.main()
scripts.main()
sys.argv = ["bench.booklet"]
booklet.main()
studio.main()
for extra in ([], ["--kill"]):
    sys.argv = ["bench.broadcast", *extra]
    broadcast.main()
sys.argv = ["bench.webhooks"]
webhooks.main()
# The fault test of `make test`, with Telegram failing for three minutes instead of 20 s.
subprocess.run(
    [sys.executable, "-m", "pytest", "-q", "tests/test_platform_outage.py"],
    env={**os.environ, "OUTAGE_SECONDS": "180"},
    check=True,
)
