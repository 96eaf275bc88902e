"""netweave benchmarks (see README.md). Nothing here is imported by the product."""
