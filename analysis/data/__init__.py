"""See analysis/__init__.py for the layer map."""
