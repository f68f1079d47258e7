"""Building blocks shared by every Zhitong service: configuration, database sessions, clock,
working-day calendar, gRPC bootstrap and clients, metrics and logging."""
