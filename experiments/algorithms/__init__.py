"""The experiments' algorithms: assignment and statistics (numpy/scipy, no Django)."""
