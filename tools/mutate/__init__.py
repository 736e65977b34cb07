"""Mutation testing of the core logic (`make mutate`): how much wrong code would the tests let through?

Each module in targets.toml is mutated by cosmic-ray, in a copy of the tree,
and every mutant runs that module's own tests (`pytest -x`, no xdist). A
mutant the tests pass is a survivor: a behaviour no test asserts.
"""
