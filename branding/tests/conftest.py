import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _brand_cache_empty():
    """Test transactions roll back, caches do not: start every test without cached brands."""
    cache.clear()
    yield
    cache.clear()
