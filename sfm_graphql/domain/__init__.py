"""Domain rules of the Social Fabric Matrix: component types, delivery kinds and validation."""
