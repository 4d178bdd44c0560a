"""Trading's tenant-schema models (orders, their transitions and fills; margin calls)."""
