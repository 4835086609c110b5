"""The test suite; tests/support holds the helpers shared between its folders."""
import pytest

# Assertions in the shared helpers explain themselves as well as those in the tests.
pytest.register_assert_rewrite("tests.support")
