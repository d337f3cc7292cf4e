"""The one place a SparkSession is built: embedded Sail by default, any Spark Connect server by configuration."""

from __future__ import annotations

import atexit
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ground import udf_pool
from ground.config import EngineConfig

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)


class Engine:
    """A Spark Connect session plus, when embedded, the Sail server behind it."""

    def __init__(self, spark: SparkSession, server: Any | None, url: str) -> None:
        self.spark = spark
        self.url = url
        self._server = server

    @property
    def is_embedded(self) -> bool:
        return self._server is not None

    def stop(self) -> None:
        try:
            self.spark.stop()
        except Exception:  # the server may already be gone at interpreter exit
            log.debug("spark session stop failed", exc_info=True)
        if self._server is not None:
            udf_pool.shutdown()
            atexit.unregister(self._server.stop)
            self._server.stop()
            self._server = None


def start_engine(config: EngineConfig) -> Engine:
    """Build the SparkSession from configuration.

    ``config.remote`` set (``sc://host:15002``): connect to that Spark Connect server. Otherwise start Sail in
    this process on a free loopback port; it is stopped by ``Engine.stop`` or at interpreter exit.
    """
    os.environ.setdefault("PYARROW_IGNORE_TIMEZONE", "1")
    os.environ.setdefault("RUST_LOG", "error")  # Sail logs through Rust's env_logger; set RUST_LOG=info to see it
    from pyspark.sql import SparkSession

    server = None
    url = config.remote
    if not url:
        from pysail.spark import SparkConnectServer

        server = SparkConnectServer(ip="127.0.0.1", port=0)
        server.start(background=True)
        host, port = server.listening_address
        url = f"sc://{host}:{port}"
        atexit.register(server.stop)
        udf_pool.enable(udf_pool.processes_for(config.udf_processes))
    builder = SparkSession.builder.remote(url)
    settings = {
        "spark.sql.shuffle.partitions": str(config.shuffle_partitions),
        "spark.sql.session.timeZone": "UTC",
        **config.spark_conf,
    }
    spark = builder.create()  # a new session even when another is active in this process
    for key, value in settings.items():
        spark.conf.set(key, value)
    return Engine(spark, server, url)


@contextmanager
def engine_session(config: EngineConfig) -> Iterator[Engine]:
    engine = start_engine(config)
    try:
        yield engine
    finally:
        engine.stop()
