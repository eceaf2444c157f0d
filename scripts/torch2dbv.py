#!/usr/bin/python3
"""torch2dbv.py - convert a PyTorch state_dict into a dbv model stream
(the reverse of dbv2torch.py).

    /usr/bin/python3 scripts/torch2dbv.py STATE.pt --arch NAME --width K
        [--depth D] --shape C,H,W --classes N [--mean M,...] [--std S,...]
        [--class-names A,B,...] -o MODEL.dbv

Needs Python 3 with torch, numpy and msgpack (on Debian /usr/bin/python3
with python3-torch, python3-numpy, python3-msgpack).

STATE.pt is what torch.save(model.state_dict(), ...) wrote for a module
of the paper's reference code or the twins in tests/gen/torch_fixtures.py
(the same keys): a state_dict, or a checkpoint dict holding one under
"net", "state_dict" or "model" (the reference code saves {"net": ...});
the "module." prefix DataParallel adds is dropped.  The architecture's
module is built by torch_fixtures.make_model() and filled with
load_state_dict(strict=True), so a missing, extra or misshapen key is an
error; the tensors are then written in the module's state_dict order,
which is dbv's parameter order (man/dbv-stream.5, THE MODEL STREAM):
f32, num_batches_tracked an i64 scalar.

--depth defaults as dbv-train's: wrn 28, vgg 19, others 1.  --mean and
--std are the normalisation the model was trained with, one value per
channel, (p/255 - mean)/std; the defaults 0 and 1 mean none.  The model
stream has no log records (it was not trained by dbv).

Exit: 0 ok, 2 usage, 3 bad input (not a state_dict, keys or shapes that do
not fit the architecture, non-finite values), 4 I/O error or a missing
module.  The output is written to a temporary file and renamed.
"""
import argparse
import math
import os
import sys

EXIT_USAGE, EXIT_INPUT, EXIT_IO = 2, 3, 4
DEFAULT_DEPTH = {"wrn": 28, "vgg": 19}

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "gen"))


class InputError(Exception):
    pass


def floats(s, what):
    try:
        return [float(v) for v in s.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError("%s: not a list of numbers: %r"
                                         % (what, s))


def unwrap(obj, path):
    """The state_dict inside what torch.load gave."""
    import torch
    if isinstance(obj, dict):
        for k in ("net", "state_dict", "model"):
            if k in obj and isinstance(obj[k], dict):
                obj = obj[k]
                break
    if not isinstance(obj, dict) or not obj or not all(
            isinstance(v, torch.Tensor) for v in obj.values()):
        raise InputError("%s: not a state_dict (a map of tensor names to "
                         "tensors)" % path)
    return {(k[7:] if k.startswith("module.") else k): v
            for k, v in obj.items()}


def convert(a):
    import numpy as np
    import torch
    import torch_fixtures as tf

    c, h, w = a.shape
    try:
        obj = torch.load(a.state, map_location="cpu")
    except OSError as e:
        raise OSError("cannot read '%s': %s" % (a.state, e.strerror)) from e
    except Exception as e:  # pickle and zip errors have many types
        raise InputError("%s: not a PyTorch file (%s)" % (a.state, e))
    sd = unwrap(obj, a.state)
    try:
        model = tf.make_model(a.arch, a.width, a.depth, (c, h, w), a.classes)
    except (ValueError, KeyError):
        raise InputError("unknown architecture %r or depth %d"
                         % (a.arch, a.depth))
    try:
        model.load_state_dict(sd, strict=True)
    except RuntimeError as e:
        raise InputError("%s: the tensors do not fit %s width %d depth %d: %s"
                         % (a.state, a.arch, a.width, a.depth,
                            str(e).strip().replace("\n\t", " ")))
    meta = {"arch": a.arch, "width": a.width, "depth": a.depth,
            "shape": [c, h, w], "classes": a.classes,
            "class_names": a.class_names, "mean": a.mean, "std": a.std,
            "params": sum(p.numel() for p in model.parameters()),
            "bn_eps": 1e-5, "bn_momentum": 0.1}
    s = tf.Stream(meta, kind="model", rec="param", tool="torch2dbv.py",
                  pipeline=[" ".join(["torch2dbv.py"] + sys.argv[1:])])
    for k, v in model.state_dict().items():
        if k.endswith("num_batches_tracked"):
            s.add(k, np.array(int(v), dtype="<i8"))
            continue
        v = v.detach().float().numpy()
        if not np.isfinite(v).all():
            raise InputError("%s: %s holds a non-finite value" % (a.state, k))
        s.add(k, v, "<f4")
    s.write(a.output)
    return len(s.records)


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="torch2dbv.py",
        description="Convert a PyTorch state_dict into a dbv model stream.")
    ap.add_argument("state", help="file written by torch.save(state_dict)")
    ap.add_argument("--arch", required=True, help="dbv architecture name")
    ap.add_argument("--width", type=int, required=True, help="width dial K")
    ap.add_argument("--depth", type=int, default=0,
                    help="depth (default: wrn 28, vgg 19, others 1)")
    ap.add_argument("--shape", required=True, help="input C,H,W")
    ap.add_argument("--classes", type=int, required=True)
    ap.add_argument("--mean", help="per-channel mean (default 0)")
    ap.add_argument("--std", help="per-channel std (default 1)")
    ap.add_argument("--class-names", help="comma-separated class names")
    ap.add_argument("-o", "--output", required=True, help="model stream")
    a = ap.parse_args(argv)
    prog = "torch2dbv.py"
    try:
        a.shape = [int(v) for v in a.shape.split(",")]
    except ValueError:
        a.shape = []
    if len(a.shape) != 3 or min(a.shape) < 1:
        ap.error("--shape must be C,H,W (three positive integers)")
    c = a.shape[0]
    a.mean = floats(a.mean, "--mean") if a.mean else [0.0] * c
    a.std = floats(a.std, "--std") if a.std else [1.0] * c
    if (len(a.mean) != c or len(a.std) != c or
            not all(math.isfinite(v) for v in a.mean + a.std) or
            min(a.std) <= 0):
        ap.error("--mean and --std need %d finite values each, std > 0" % c)
    if a.classes < 2 or a.width < 1:
        ap.error("--classes must be at least 2 and --width at least 1")
    if a.class_names is not None:
        a.class_names = a.class_names.split(",")
        if len(a.class_names) != a.classes:
            ap.error("--class-names needs %d names" % a.classes)
    if not a.depth:
        a.depth = DEFAULT_DEPTH.get(a.arch, 1)
    try:
        import msgpack  # noqa: F401  (torch_fixtures writes with it)
        import numpy  # noqa: F401
        import torch  # noqa: F401
    except ImportError as e:
        print("%s: error: %s: it needs numpy, msgpack and torch; on Debian "
              "run it with /usr/bin/python3" % (prog, e), file=sys.stderr)
        return EXIT_IO
    try:
        convert(a)
    except InputError as e:
        print("%s: error: %s" % (prog, e), file=sys.stderr)
        return EXIT_INPUT
    except OSError as e:
        print("%s: error: %s" % (prog, e), file=sys.stderr)
        return EXIT_IO
    return 0


if __name__ == "__main__":
    sys.exit(main())
