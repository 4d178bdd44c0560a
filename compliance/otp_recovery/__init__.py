"""Recovery codes as a django-otp device that stores only salted hashes of its codes.

An app of its own (like django-otp's plugins) so that it can live in both the shared and the
tenant schemas: django-otp looks for devices of every installed device model, on the operator's
host too.
"""
