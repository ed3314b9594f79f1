"""`make bench`: every benchmark in turn."""

from bench import search_quality

search_quality.main()
