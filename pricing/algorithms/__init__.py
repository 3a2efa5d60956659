"""Algorithms of the pricing app: plain numpy/torch modules, no Django."""
