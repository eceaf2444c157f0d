"""bench/torch_malloc.py - the glibc malloc settings the PyTorch side of
the benches runs under (bench/predict_torch.py explains why: left to its
defaults, glibc now and then gives the activations' memory back to the
kernel after every layer, for a whole run, and PyTorch runs 2-5x slower).
"""
import os
import sys


def fix_malloc(default_malloc):
    """Unless default_malloc or MALLOC_MMAP_THRESHOLD_ is already set, run
    this script again (before torch loads) with MALLOC_MMAP_THRESHOLD_=32
    MiB and MALLOC_TRIM_THRESHOLD_=1 GiB; glibc reads them at start-up."""
    if default_malloc or "MALLOC_MMAP_THRESHOLD_" in os.environ:
        return
    os.environ["MALLOC_MMAP_THRESHOLD_"] = str(32 << 20)
    os.environ.setdefault("MALLOC_TRIM_THRESHOLD_", str(1 << 30))
    sys.stdout.flush()
    os.execv(sys.executable, [sys.executable] + sys.argv)
