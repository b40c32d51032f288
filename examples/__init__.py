"""The sample dossiers A and B, shipped as package data: ``python -m bot demo`` plays them
after a normal install too, and ``python -m bot check examples/sample_a.json`` reads them from a
checkout. Holds no code."""
