"""Benchmarks that print figures (``svclab bench …``): ``cluster`` (up time, node memory),
``grading`` (autograde per lab and per class), ``widgets`` (DNS lookup, Endpoints refresh)."""
