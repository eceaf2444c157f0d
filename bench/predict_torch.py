#!/usr/bin/python3
"""bench/predict_torch.py - the paper's plane-prediction pipeline in
PyTorch, for bench/predict.sh to set beside `dbv-plane | dbv-predict`.

    /usr/bin/python3 bench/predict_torch.py MODEL.dbv PLANES.dbv
                     [--batch 256] [--workers 2] [--threads 2] [--reps 1]
                     [--check PRED.dbv] [--default-malloc]

(Debian's /usr/bin/python3 with python3-torch, python3-numpy and
python3-msgpack; a pyenv `python3` first on PATH usually lacks torch.)

MODEL.dbv is a dbv-train model, loaded into the module of
tests/gen/torch_fixtures.py with scripts/dbv2torch.py's loader (the same
weights as dbv-predict uses); PLANES.dbv the dbv-plane stream that the dbv
side predicts, so both sides evaluate the same points: each plane's origin,
basis u, v and grid range, res points per axis.  Reading both files is not
timed.

Two ways, each timed per round with a monotonic clock over all planes:

paper    the pipeline of Somepalli et al.'s code (dbViz, utils.py and
         train.py): per plane a Dataset whose __getitem__ builds one grid
         point, base + coef1[idx]*vec1 + coef2[idx]*vec2 (coefficients from
         a flattened meshgrid of two linspaces), a new
         DataLoader(batch_size=BATCH, shuffle=False, num_workers=WORKERS),
         the model in eval mode under no_grad, every output row appended to
         a list, then torch.stack, softmax and max/argmax (label and
         confidence of every point).  Worker start-up is counted, as the
         paper makes a new loader per plane.
batched  the bare forward pass: the points of every plane precomputed as
         one tensor (not timed), then model(x[k:k+BATCH]) under no_grad in
         eval mode, nothing else.

Rounds take turns (paper, batched, paper, ...); the best round of each is
reported (the machine may be shared: the best round is the least
disturbed), with every round's.

Threads: torch.set_num_threads(THREADS); as in bench/train_torch.py, unless
the environment says otherwise this sets OMP_WAIT_POLICY=PASSIVE before
torch loads, but OPENBLAS_NUM_THREADS=1, not THREADS: Debian's torch runs
the convolutions in oneDNN on its OpenMP threads and only the small
linear layer in OpenBLAS, whose own pthreads then spin (sched_yield)
beside the OpenMP threads; on the shared 2-core machine, in alternated
runs, THREADS OpenBLAS threads made the batched cnn5 forward 1.1-7x
slower and the paper's pipeline 1.3-2.5x slower, never faster.
OPENBLAS_CORETYPE is inherited (bench/predict.sh passes the core dbv
runs).  DataLoader workers are forked processes (PyTorch gives each one
thread).

Memory: glibc's malloc, left to its defaults, now and then settles (for a
whole run) on giving the activations' memory back to the kernel after
every layer and faulting it in again: 4.6 million page faults instead of
0.2 million, twice the system time, and both ways 2-5x slower, in about
half of the runs on this machine.  So unless MALLOC_MMAP_THRESHOLD_ is
already set (or --default-malloc is given) the script runs itself again
with MALLOC_MMAP_THRESHOLD_=33554432 (32 MiB: the largest activation of
these models comes from the heap) and MALLOC_TRIM_THRESHOLD_=1073741824
(the heap is not trimmed), what a tuned PyTorch CPU set-up (jemalloc,
tcmalloc) would also give.  dbv allocates its activations once.

--check PRED.dbv  also compare the labels of both ways with a dbv-predict
                  pred stream of the same planes (the fraction of points on
                  which they agree; float rounding may flip a few points
                  that lie on a boundary).

Prints one line of key=value pairs: points (per round) planes res batch
workers threads paper_pts_s paper_all batched_pts_s batched_all
paper_vs_batched (the fraction of points whose labels agree) [dbv_agree_paper
dbv_agree_batched] rss_kb omp_wait_policy openblas_threads
openblas_coretype malloc_mmap_threshold torch.  Exit 4 when torch, numpy
or msgpack is missing.
"""
import argparse
import os
import resource
import sys
import time

from torch_malloc import fix_malloc

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "gen"))
sys.path.insert(0, os.path.join(HERE, "..", "scripts"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model")
    ap.add_argument("planes")
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--check")
    ap.add_argument("--default-malloc", action="store_true")
    a = ap.parse_args()
    fix_malloc(a.default_malloc)
    a.reps = max(1, a.reps)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

    try:
        import numpy as np
        import torch
        import dbv2torch  # exits 4 itself without numpy or msgpack
    except ImportError as e:
        print("predict_torch.py: %s (run it with Debian's /usr/bin/python3 "
              "and python3-torch)" % e, file=sys.stderr)
        return 4

    torch.set_num_threads(a.threads)
    meta, sd, _ = dbv2torch.read_model(a.model)
    model = dbv2torch.build_model(meta, sd, a.model)
    model.eval()
    c, h, w = meta["shape"]

    planes = []  # (origin, u, v, xs, ys, res) as torch tensors
    it = dbv2torch.read_stream(a.planes, "planes")
    next(it)
    for rec in it:
        if rec["t"] != "plane":
            continue
        t = {k: torch.from_numpy(dbv2torch.to_numpy(rec[k], k))
             for k in ("origin", "u", "v")}
        rng = dbv2torch.to_numpy(rec["range"], "range")
        res = int(rec["res"])
        xs = torch.linspace(float(rng[0]), float(rng[1]), res)
        ys = torch.linspace(float(rng[2]), float(rng[3]), res)
        planes.append((t["origin"], t["u"], t["v"], xs, ys, res))
    if not planes:
        print("predict_torch.py: %s holds no plane" % a.planes, file=sys.stderr)
        return 3
    points = sum(p[5] * p[5] for p in planes)

    class PlaneDataset(torch.utils.data.Dataset):
        """One grid point per item, as the paper's plane_dataset."""

        def __init__(self, base, vec1, vec2, xs, ys):
            self.base, self.vec1, self.vec2 = base, vec1, vec2
            # row i = ys[i], column j = xs[j]: flat index i*res + j
            gy, gx = torch.meshgrid(ys, xs, indexing="ij")
            self.coefs1 = gx.flatten()
            self.coefs2 = gy.flatten()

        def __len__(self):
            return self.coefs1.shape[0]

        def __getitem__(self, idx):
            return (self.base + self.coefs1[idx] * self.vec1 +
                    self.coefs2[idx] * self.vec2)

    def paper():
        out = []
        with torch.no_grad():
            for base, u, v, xs, ys, res in planes:
                loader = torch.utils.data.DataLoader(
                    PlaneDataset(base, u, v, xs, ys), batch_size=a.batch,
                    shuffle=False, num_workers=a.workers)
                preds = []
                for inputs in loader:
                    outputs = model(inputs)
                    for o in outputs:
                        preds.append(o)
                preds = torch.stack(preds)
                conf, lab = torch.softmax(preds, dim=1).max(1)
                out.append(lab)
        return torch.cat(out)

    # The batched way's input: every point of every plane, one tensor.
    xall = []
    for base, u, v, xs, ys, res in planes:
        gy, gx = torch.meshgrid(ys, xs, indexing="ij")
        xall.append(base.reshape(1, -1) + gx.reshape(-1, 1) * u.reshape(1, -1)
                    + gy.reshape(-1, 1) * v.reshape(1, -1))
    xall = torch.cat(xall).reshape(-1, c, h, w).contiguous()

    def batched():
        with torch.no_grad():
            for k in range(0, points, a.batch):
                model(xall[k:k + a.batch])

    # Warm-up, untimed: one batch.
    with torch.no_grad():
        model(xall[:a.batch])
    tp, tb = [], []
    lab_paper = None
    for r in range(a.reps):
        t0 = time.perf_counter()
        lab_paper = paper()
        tp.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        batched()
        tb.append(time.perf_counter() - t0)
    with torch.no_grad():
        lab_batched = torch.cat([model(xall[k:k + a.batch]).argmax(1)
                                 for k in range(0, points, a.batch)])
    extra = ""
    if a.check:
        it = dbv2torch.read_stream(a.check, "pred")
        next(it)
        dl = [dbv2torch.to_numpy(rec["labels"], "labels").reshape(-1)
              for rec in it if rec["t"] == "pred"]
        dl = torch.from_numpy(np.concatenate(dl).astype(np.int64))
        if dl.shape[0] != points:
            print("predict_torch.py: %s holds %d points, the planes %d"
                  % (a.check, dl.shape[0], points), file=sys.stderr)
            return 3
        extra = " dbv_agree_paper=%.5f dbv_agree_batched=%.5f" % (
            float((dl == lab_paper).double().mean()),
            float((dl == lab_batched).double().mean()))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print("points=%d planes=%d res=%d batch=%d workers=%d threads=%d "
          "paper_pts_s=%.1f paper_all=%s batched_pts_s=%.1f batched_all=%s "
          "paper_vs_batched=%.5f%s rss_kb=%d omp_wait_policy=%s "
          "openblas_threads=%s openblas_coretype=%s malloc_mmap_threshold=%s "
          "torch=%s" %
          (points, len(planes), planes[0][5], a.batch, a.workers,
           torch.get_num_threads(), points / min(tp),
           ",".join("%.1f" % (points / t) for t in tp), points / min(tb),
           ",".join("%.1f" % (points / t) for t in tb),
           float((lab_paper == lab_batched).double().mean()), extra, rss,
           os.environ.get("OMP_WAIT_POLICY"),
           os.environ.get("OPENBLAS_NUM_THREADS"),
           os.environ.get("OPENBLAS_CORETYPE", "unset"),
           os.environ.get("MALLOC_MMAP_THRESHOLD_", "default"),
           torch.__version__))
    return 0


if __name__ == "__main__":
    sys.exit(main())
