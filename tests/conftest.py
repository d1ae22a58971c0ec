import pytest
import torch


@pytest.fixture
def one_thread():
    """One intra-op thread: runs compared bitwise must use the same thread count."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# The longest tests (a README example trained as written, a subprocess session), started first so
# that the two xdist workers do not wait on one of them at the end (speed goals live in benchmarks;
# this only orders the suite).
FIRST = ("test_the_claim_example_decides_its_claim_as_written", "test_the_own_model_claim_runs_as_a_script",
         "test_records_survive_xdist_workers", "test_the_own_model_claim_runs_through_the_claims_fixture")


def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: item.originalname not in FIRST)  # stable: the rest keep their order
