"""Algorithms of the recommender app: plain numpy/torch modules, no Django."""
