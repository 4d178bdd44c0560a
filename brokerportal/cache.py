"""Django's Redis cache, with one redis-py client per connection pool.

Django's `RedisCacheClient.get_client` builds a new `redis.Redis` for every operation, and
redis-py's constructor fills its table of response callbacks each time: about 0.1 ms of CPU per
cache call, several calls per page. A client is safe to share between threads (each command
takes a connection from the pool), so one per pool is kept.
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class ReusedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient


class ResilientRedisCacheClient(ReusedClientRedisCacheClient):
    """Redis down is a cache miss, not an error page.

    Every read answers its default and every write is dropped while Redis does not answer
    (connection refused, timeout); the failure is logged once per outage. Sessions use the
    `cached_db` engine, so a miss falls through to the database and logins survive; portal
    figures are recomputed from the ledger. Connection and socket timeouts are short (see
    `CACHES[...]["OPTIONS"]` in settings) so a dead Redis costs milliseconds, not seconds.
    """

    _down = False

    def _guard(self, default, method, *args, **kwargs):
        import logging

        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError

        try:
            result = method(*args, **kwargs)
        except (RedisConnectionError, RedisTimeoutError, OSError) as error:
            if not ResilientRedisCacheClient._down:
                logging.getLogger("brokerportal.cache").warning("cache unreachable: %s", error)
            ResilientRedisCacheClient._down = True
            return default
        ResilientRedisCacheClient._down = False
        return result

    def get(self, key, default):
        return self._guard(default, super().get, key, default)

    def get_many(self, keys):
        return self._guard({}, super().get_many, keys)

    def has_key(self, key):
        return self._guard(False, super().has_key, key)

    def add(self, key, value, timeout):
        return self._guard(False, super().add, key, value, timeout)

    def set(self, key, value, timeout):
        return self._guard(None, super().set, key, value, timeout)

    def set_many(self, data, timeout):
        return self._guard(list(data), super().set_many, data, timeout)

    def touch(self, key, timeout):
        return self._guard(False, super().touch, key, timeout)

    def delete(self, key):
        return self._guard(False, super().delete, key)

    def delete_many(self, keys):
        return self._guard(None, super().delete_many, keys)

    def incr(self, key, delta):
        return self._guard(None, super().incr, key, delta)

    def clear(self):
        return self._guard(False, super().clear)


class ResilientRedisCache(RedisCache):
    """`RedisCache` that serves without Redis (`ResilientRedisCacheClient`)."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ResilientRedisCacheClient

    def incr(self, key, delta=1, version=None):
        key = self.make_and_validate_key(key, version=version)
        value = self._cache.incr(key, delta)
        if value is None:
            raise ValueError(f"Key '{key}' not found (or the cache is unreachable).")
        return value
