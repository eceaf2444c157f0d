#!/usr/bin/python3
"""bench/train_torch.py - PyTorch's training throughput on dbv's
architectures, for bench/train.sh to set beside dbv-train's.

    /usr/bin/python3 bench/train_torch.py ARCH WIDTH DEPTH IMAGES
                     [--batch 128] [--threads 2] [--warmup 2] [--reps 3]
                     [--eval] [--opt NAME=VALUE ...]

(Debian's /usr/bin/python3 with python3-torch; a pyenv `python3` first on
PATH usually lacks torch.)  The module is make_model() of
tests/gen/torch_fixtures.py, the PyTorch twin of lib/nn/models.c; input
1x28x28, 10 classes; SGD momentum 0.9, lr 0.01, no weight decay, as
dbv-train --lr 0.01.  Each step does what a dbv-train batch does: gather
a shuffled batch of u8 images, normalise them ((p/255 - mean)/std, with
Fashion-MNIST's mean and std), forward in train mode, cross-entropy,
count correct predictions, zero_grad, backward, step.  The data are random
bytes and labels (the values do not change the work).  --warmup steps run
first and are not timed; then --reps rounds of ceil(IMAGES/batch) full
batches (like dbv-train's epochs) are each timed with a monotonic clock,
and the best round's rate is reported (the machine may be shared: the
best round is the one least disturbed), with every round's.

--opt NAME=VALUE (repeatable): an architecture option of vit and mixer,
as dbv-train's --NAME VALUE (patch, heads, dim-head, mlp-dim, expansion,
dropout, emb-dropout); dbv's defaults (the paper's) for the rest.

--eval (for bench/forward.sh): forward passes only, in eval mode under
torch.no_grad(), on normalised batches (what dbv-predict does); no labels,
loss or optimizer.

Threads: torch.set_num_threads(THREADS).  Debian's torch is built without
MKL and calls OpenBLAS (its own pthreads) for matrix products, next to
its OpenMP pool; two pools on two cores fight when idle OpenMP threads
spin (libgomp's default) -- on a busy 2-core machine that made torch's
2-thread mlp step 10x slower.  So unless the environment says otherwise
this sets OMP_WAIT_POLICY=PASSIVE and OPENBLAS_NUM_THREADS=THREADS before
torch loads (PyTorch's best 2-thread setting here), and reports them.
OPENBLAS_CORETYPE is inherited (bench/train.sh passes the core dbv runs).

Memory: as bench/predict_torch.py explains, glibc's malloc left to its
defaults sometimes gives the activations' memory back to the kernel after
every layer and faults it in again, for a whole run (2-5x slower).  So
unless MALLOC_MMAP_THRESHOLD_ is already set (or --default-malloc is
given) the script runs itself again with MALLOC_MMAP_THRESHOLD_=33554432
and MALLOC_TRIM_THRESHOLD_=1073741824, what a tuned PyTorch CPU set-up
(jemalloc, tcmalloc) would also give.  dbv allocates its activations once.

Prints one line of key=value pairs: arch width depth threads steps images
(per round) seconds (best round) ips (images/s, best round) ips_all (every
round, comma-separated) rss_kb (peak RSS of this process) omp_wait_policy
openblas_threads openblas_coretype malloc_mmap_threshold torch.
"""
import argparse
import math
import os
import resource
import sys
import time

from torch_malloc import fix_malloc

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "gen"))

MEAN, STD = 0.2860405969887955, 0.35302424451492237  # Fashion-MNIST train


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("arch")
    ap.add_argument("width", type=int)
    ap.add_argument("depth", type=int)
    ap.add_argument("images", type=int)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--eval", action="store_true")
    ap.add_argument("--default-malloc", action="store_true")
    ap.add_argument("--opt", action="append", default=[])
    a = ap.parse_args()
    opts = {}
    for kv in a.opt:
        k, v = kv.split("=", 1)
        opts[k.replace("-", "_")] = float(v) if "." in v else int(v)
    fix_malloc(a.default_malloc)
    a.reps = max(1, a.reps)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(a.threads))

    import torch
    import torch.nn.functional as F
    import torch_fixtures as tf

    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = tf.make_model(a.arch, a.width, a.depth, (1, 28, 28), 10, opts)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    steps = max(1, math.ceil(a.images / a.batch))
    n = max(a.batch * 4, 4096)
    gen = torch.Generator().manual_seed(1)
    data = torch.randint(0, 256, (n, 1, 28, 28), dtype=torch.uint8, generator=gen)
    labels = torch.randint(0, 10, (n,), generator=gen)
    scale = 1.0 / (255.0 * STD)
    shift = -MEAN / STD
    model.eval() if a.eval else model.train()
    perm = torch.randperm(n, generator=gen)
    pos = 0
    correct = 0
    times = []
    t0 = None
    for s in range(a.warmup + a.reps * steps):
        if s >= a.warmup and (s - a.warmup) % steps == 0:
            if t0 is not None:
                times.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
        if pos + a.batch > n:
            perm = torch.randperm(n, generator=gen)
            pos = 0
        idx = perm[pos:pos + a.batch]
        pos += a.batch
        x = data[idx].float() * scale + shift
        y = labels[idx]
        if a.eval:
            with torch.no_grad():
                loss = model(x).sum()
            continue
        logits = model(x)
        loss = F.cross_entropy(logits, y)
        correct += int((logits.argmax(1) == y).sum())
        opt.zero_grad()
        loss.backward()
        opt.step()
    times.append(time.perf_counter() - t0)
    dt = min(times)
    if not math.isfinite(float(loss)):
        print("train_torch.py: the loss is not finite", file=sys.stderr)
        return 5
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print("arch=%s width=%d depth=%d threads=%d steps=%d images=%d seconds=%.3f "
          "ips=%.1f ips_all=%s rss_kb=%d omp_wait_policy=%s openblas_threads=%s "
          "openblas_coretype=%s malloc_mmap_threshold=%s torch=%s" %
          (a.arch, a.width, a.depth, torch.get_num_threads(), steps,
           steps * a.batch, dt, steps * a.batch / dt,
           ",".join("%.1f" % (steps * a.batch / t) for t in times), rss,
           os.environ.get("OMP_WAIT_POLICY"),
           os.environ.get("OPENBLAS_NUM_THREADS"),
           os.environ.get("OPENBLAS_CORETYPE", "unset"),
           os.environ.get("MALLOC_MMAP_THRESHOLD_", "default"), torch.__version__))
    return 0


if __name__ == "__main__":
    sys.exit(main())
