import pytest
import torch

from rnnbook.data import load_human_numbers


@pytest.fixture(scope="session", autouse=True)
def one_thread():
    """Tiny models: one CPU thread is as fast as two, and far faster on a busy machine."""
    saved = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(saved)


@pytest.fixture(scope="session")
def data():
    """The human-numbers data, made once for the whole test session."""
    return load_human_numbers()
