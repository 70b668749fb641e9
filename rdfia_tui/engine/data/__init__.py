"""Datasets: loaders that return CPU tensors, and device-resident splits cut by indexing."""
