"""Helpers shared by the whole test suite, imported as `from support.<module> import ...`.

pyproject's `pythonpath = ["tests"]` puts this folder's parent on `sys.path`, not the repository root: the tests
then import `modelarts_async` from where it is installed (the built wheel, in CI), never from the source tree.
"""
