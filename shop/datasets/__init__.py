"""Reading and validating dataset files with pandas (no Django import here).

The services in :mod:`shop.services.imports` write what these modules produce.
"""
