#!/usr/bin/python3
"""bench/accuracy_torch.py - train one of dbv's architectures in PyTorch on
dbv dataset streams, for bench/accuracy.sh to set its test accuracy
beside dbv-train's with the same settings.

    /usr/bin/python3 bench/accuracy_torch.py TRAIN.dbv TEST.dbv ARCH WIDTH DEPTH
                     [--opt NAME=VALUE ...] [--epochs 3] [--batch 128]
                     [--lr 0.001] [--seed 0] [--threads 2]

The module is make_model() of tests/gen/torch_fixtures.py (vit and mixer
as the paper's reference code writes them, nn.Dropout; --opt as
dbv-train's --NAME VALUE); PyTorch's own initialisation (seeded with
--seed), Adam (betas 0.9, 0.999, eps 1e-8, no decay) at a constant
--lr, as dbv-train --optim adam.  Each epoch visits the training images
in a new random order, in batches of --batch (the last one smaller);
inputs normalised with the training stream's mean and std as dbv does:
(p/255 - mean)/std.  After each epoch the test set is evaluated (eval
mode, no dropout).  Prints one line per epoch and a last line of
key=value pairs: arch epochs train_n test_n test_acc test_loss seconds.
"""
import argparse
import math
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "gen"))
sys.path.insert(0, os.path.join(HERE, "..", "scripts"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("train")
    ap.add_argument("test")
    ap.add_argument("arch")
    ap.add_argument("width", type=int)
    ap.add_argument("depth", type=int)
    ap.add_argument("--opt", action="append", default=[])
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=0.001)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    opts = {}
    for kv in a.opt:
        k, v = kv.split("=", 1)
        opts[k.replace("-", "_")] = float(v) if "." in v else int(v)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

    import numpy as np
    import torch
    import torch.nn.functional as F
    import dbv2torch
    import torch_fixtures as tf

    torch.set_num_threads(a.threads)
    hdr = next(dbv2torch.read_stream(a.train, "dataset"))["meta"]
    c, h, w = hdr["shape"]
    classes = hdr["classes"]
    x, y = dbv2torch.read_dataset(a.train, c, h, w, classes)
    tx, ty = dbv2torch.read_dataset(a.test, c, h, w, classes)
    mean = torch.tensor(hdr["mean"], dtype=torch.float32).view(1, c, 1, 1)
    std = torch.tensor(hdr["std"], dtype=torch.float32).view(1, c, 1, 1)

    def norm(u8):
        return (torch.from_numpy(u8).float() / 255.0 - mean) / std

    torch.manual_seed(a.seed)
    model = tf.make_model(a.arch, a.width, a.depth, (c, h, w), classes, opts)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr, betas=(0.9, 0.999),
                           eps=1e-8)
    gen = torch.Generator().manual_seed(a.seed + 1000)
    t0 = time.perf_counter()
    for e in range(a.epochs):
        model.train()
        perm = torch.randperm(len(x), generator=gen).numpy()
        for s in range(0, len(x), a.batch):
            idx = perm[s:s + a.batch]
            logits = model(norm(x[idx]))
            loss = F.cross_entropy(logits, torch.from_numpy(y[idx]).long())
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.eval()
        tl, cor = 0.0, 0
        with torch.no_grad():
            for s in range(0, len(tx), 500):
                lg = model(norm(tx[s:s + 500]))
                yb = torch.from_numpy(ty[s:s + 500]).long()
                tl += float(F.cross_entropy(lg.double(), yb, reduction="sum"))
                cor += int((lg.argmax(1) == yb).sum())
        acc = cor / len(tx)
        print("epoch %d/%d  test loss %.4f  test acc %.2f%%" %
              (e + 1, a.epochs, tl / len(tx), 100 * acc), file=sys.stderr)
    if not math.isfinite(tl):
        return 5
    print("arch=%s epochs=%d train_n=%d test_n=%d test_acc=%.4f test_loss=%.4f "
          "seconds=%.1f" % (a.arch, a.epochs, len(x), len(tx), acc,
                            tl / len(tx), time.perf_counter() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
