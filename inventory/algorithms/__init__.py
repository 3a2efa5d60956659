"""Algorithms of the inventory app: plain numpy/torch modules, no Django."""
