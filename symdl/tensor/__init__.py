"""Tensor-valued graphs: vector and matrix nodes, their ops (each with its vector–Jacobian
rule) and the networks of the seed notes built from them."""
