import pytest
import torch


@pytest.fixture
def one_thread():
    """One intra-op thread: runs compared bitwise must use the same thread count."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
