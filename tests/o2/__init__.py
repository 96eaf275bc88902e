"""Tests of the SOL013 query engine: filters, attribute selectors and paging."""
