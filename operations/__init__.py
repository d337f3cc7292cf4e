"""Operations commands over a lake: scv status, scv maintain and scv evaluate (delta-rs reads, no Spark)."""
