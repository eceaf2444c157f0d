#!/usr/bin/python3
"""dbv2torch.py - load a dbv model stream into the matching PyTorch module.

    /usr/bin/python3 scripts/dbv2torch.py MODEL.dbv [--eval DATASET.dbv]
                                          [--save FILE.pt] [--batch N]
                                          [--threads N] [--no-crc]

Needs Python 3 with torch, numpy and msgpack: on Debian that is
/usr/bin/python3 with python3-torch, python3-numpy, python3-msgpack (a
pyenv or venv `python3` first on PATH usually lacks torch, so name
/usr/bin/python3).

MODEL.dbv is what dbv-train writes: a dbv stream (man/dbv-stream.5) of kind
"model" whose header meta names the architecture (arch, width, depth,
shape [C,H,W], classes, and for vit and mixer arch_options: patch,
heads, ...) and the input normalisation (mean, std per channel), then "log" records (one per epoch) and one "param" record per
state_dict tensor,

    {"t":"param", "seq":k, "name":KEY, "value":TENSOR}

with f32 tensors, except num_batches_tracked, an i64 scalar (shape []).
The module is built by make_model() of tests/gen/torch_fixtures.py (the
PyTorch twins of lib/nn/models.c, imported, not copied) and filled with
load_state_dict(strict=True): every key must be there, none extra, with
the same shapes; dtypes are checked here too (load_state_dict would cast).

--eval DATASET.dbv   a "dataset" stream (dbv-load): normalise every image
                     with the MODEL's mean/std, x = (p/255 - mean)/std per
                     channel (computed as dbv_make_batch does it in float32:
                     p * (1/(255 std)) + (-mean/std)), run model.eval()
                     and print the mean loss against the stream's labels
                     "y" (the model's "loss": cross-entropy, or with "mse"
                     the squared error on one-hot targets, mean over
                     items and classes) and the accuracy.
--save FILE.pt       torch.save(model.state_dict(), FILE.pt).

Output: one JSON object on stdout: arch, width, depth, shape, classes,
params (trainable elements), tensors (state_dict entries), epochs (log
records), "log" (the last log record, or null), and with --eval: n, loss,
acc, correct.  Exit: 0 ok, 2 usage, 3 bad input (not a model stream,
truncated, CRC mismatch, keys or shapes that do not fit), 4 I/O error or
a missing module.

Streams are checked as the C reader does (header, sequence numbers, the
trailer's record count and CRC-32C over every bin payload); --no-crc skips
only the CRC.
"""
import argparse
import json
import math
import os
import sys

try:
    import msgpack
    import numpy as np
except ImportError as _e:
    print("dbv2torch.py: error: %s: it needs numpy, msgpack and torch; on "
          "Debian run it with /usr/bin/python3 (python3-torch, "
          "python3-msgpack)" % _e, file=sys.stderr)
    sys.exit(4)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "gen"))

EXIT_USAGE, EXIT_INPUT, EXIT_IO = 2, 3, 4

DTYPES = {"u8": "<u1", "i8": "<i1", "u16": "<u2", "i16": "<i2",
          "u32": "<u4", "i32": "<i4", "i64": "<i8",
          "f32": "<f4", "f64": "<f8"}


class InputError(Exception):
    """Bad or truncated input: exit 3."""


# ---------------------------------------------------------------------
# CRC-32C (Castagnoli): reflected polynomial 0x82F63B78, initial value and
# final xor 0xFFFFFFFF.  Pure Python runs at ~8 MB/s; large payloads are
# cut into blocks whose CRCs numpy computes side by side (one table step
# per byte column), then chained: the register update is linear, so after
# a block reg = Z(reg) ^ raw(block), with Z = "run B zero bytes" and raw
# the block's CRC register started from 0.

_POLY = 0x82F63B78
_T = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ (_POLY if _c & 1 else 0)
    _T.append(_c)
_TN = np.array(_T, dtype=np.uint32)
_zero_tables = {}


def _reg_update(reg, data):
    t = _T
    for b in data:
        reg = (reg >> 8) ^ t[(reg ^ b) & 0xFF]
    return reg


def _zero_shift(block):
    """4 byte tables of Z = the register after `block` zero bytes."""
    if block not in _zero_tables:
        basis = np.array([1 << i for i in range(32)], dtype=np.uint32)
        for _ in range(block):
            basis = (basis >> np.uint32(8)) ^ _TN[basis & np.uint32(0xFF)]
        tabs = []
        for j in range(4):
            tab = np.zeros(256, dtype=np.uint32)
            for b in range(8):
                tab[1 << b:2 << b] = tab[:1 << b] ^ basis[8 * j + b]
            tabs.append([int(v) for v in tab])
        _zero_tables[block] = tabs
    return _zero_tables[block]


class Crc32c:
    def __init__(self):
        self.reg = 0xFFFFFFFF

    def update(self, data):
        n = len(data)
        if n < 1 << 16:
            self.reg = _reg_update(self.reg, data)
            return
        block = max(256, int(math.isqrt(n)) & ~63)
        nb = n // block
        cols = np.frombuffer(data, dtype=np.uint8, count=nb * block)
        cols = np.ascontiguousarray(cols.reshape(nb, block).T)
        raw = np.zeros(nb, dtype=np.uint32)
        m8, mff = np.uint32(8), np.uint32(0xFF)
        for j in range(block):
            raw = (raw >> m8) ^ _TN[(raw ^ cols[j]) & mff]
        t0, t1, t2, t3 = _zero_shift(block)
        reg = self.reg
        for r in raw.tolist():
            reg = (t0[reg & 0xFF] ^ t1[(reg >> 8) & 0xFF] ^
                   t2[(reg >> 16) & 0xFF] ^ t3[reg >> 24] ^ r)
        self.reg = _reg_update(reg, memoryview(data)[nb * block:])

    def value(self):
        return self.reg ^ 0xFFFFFFFF


assert _reg_update(0xFFFFFFFF, b"123456789") ^ 0xFFFFFFFF == 0xE3069283

# ---------------------------------------------------------------------
# Stream reading (man/dbv-stream.5)


def _bins(obj):
    """The bin payloads inside obj, in stream order."""
    if isinstance(obj, bytes):
        yield obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from _bins(k)
            yield from _bins(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _bins(v)


def to_numpy(t, what):
    if not isinstance(t, dict) or not {"dtype", "shape", "data"} <= t.keys():
        raise InputError("%s is not a tensor" % what)
    if t["dtype"] not in DTYPES:
        raise InputError("%s has an unknown dtype %r" % (what, t["dtype"]))
    shape = t["shape"]
    if (not isinstance(shape, list) or len(shape) > 8 or
            not all(isinstance(d, int) and d >= 0 for d in shape)):
        raise InputError("%s has a bad shape" % what)
    dt = np.dtype(DTYPES[t["dtype"]])
    n = math.prod(shape)
    if not isinstance(t["data"], bytes) or len(t["data"]) != n * dt.itemsize:
        raise InputError("%s: data does not fit %s%s" %
                         (what, t["dtype"], shape))
    return np.frombuffer(t["data"], dtype=dt).reshape(shape).copy()


def read_stream(path, kind, check_crc=True):
    """Yield the header, then every record of the first stream in path;
    check sequence numbers and the trailer."""
    try:
        f = open(path, "rb")
    except OSError as e:
        raise OSError("cannot open '%s': %s" % (path, e.strerror)) from e
    with f:
        u = msgpack.Unpacker(f, raw=False, max_buffer_size=2**31 - 1,
                             strict_map_key=False)
        try:
            hdr = next(u)
        except StopIteration:
            raise InputError("%s: empty input: no dbv stream" % path)
        except (ValueError, msgpack.exceptions.ExtraData,
                msgpack.exceptions.FormatError) as e:
            raise InputError("%s: not a dbv stream (%s)" % (path, e))
        if (not isinstance(hdr, dict) or hdr.get("t") != "dbv" or
                not isinstance(hdr.get("v"), list)):
            raise InputError("%s: not a dbv stream" % path)
        if hdr["v"][0] != 1:
            raise InputError("%s: stream format version %s; this reads 1.x"
                             % (path, ".".join(map(str, hdr["v"]))))
        if hdr.get("kind") != kind:
            raise InputError("%s: expected a %s stream, got a %s stream"
                             % (path, kind, hdr.get("kind")))
        if not isinstance(hdr.get("meta"), dict):
            raise InputError("%s: header has no \"meta\" map" % path)
        yield hdr
        n, crc, counts = 0, Crc32c(), {}
        try:
            for rec in u:
                if not isinstance(rec, dict) or not isinstance(rec.get("t"), str):
                    raise InputError("%s: record %d: not a dbv record"
                                     % (path, n + 1))
                t = rec["t"]
                if t == "error":
                    raise InputError("%s failed: %s" % (rec.get("tool"),
                                                        rec.get("msg")))
                if t == "end":
                    if (rec.get("status") != "ok" or rec.get("records") != n):
                        raise InputError("%s: end record counts %s records but "
                                         "the stream held %d" %
                                         (path, rec.get("records"), n))
                    for k, v in (rec.get("counts") or {}).items():
                        if k != "*" and v != counts.get(k, 0):
                            raise InputError("%s: end record counts %s %r records"
                                             " but the stream held %d" %
                                             (path, v, k, counts.get(k, 0)))
                    if check_crc and rec.get("crc") != crc.value():
                        raise InputError("%s: CRC mismatch: the data is corrupt "
                                         "(end record says %08x, data gives %08x)"
                                         % (path, rec.get("crc", 0), crc.value()))
                    return
                if t == "dbv":
                    raise InputError("%s: a stream header inside a stream "
                                     "(missing end record)" % path)
                n += 1
                counts[t] = counts.get(t, 0) + 1
                if rec.get("seq") != n:
                    raise InputError("%s: sequence gap: expected record %d, got %s"
                                     % (path, n, rec.get("seq")))
                if check_crc:
                    for b in _bins(rec):
                        crc.update(b)
                yield rec
        except (ValueError, msgpack.exceptions.ExtraData,
                msgpack.exceptions.FormatError,
                msgpack.exceptions.StackError) as e:
            raise InputError("%s: record %d: malformed msgpack (%s)"
                             % (path, n + 1, e))
        raise InputError("%s: the input ends without an end record after %d "
                         "records: the upstream command did not finish"
                         % (path, n))


# ---------------------------------------------------------------------
# Model


def read_model(path, check_crc=True):
    """(meta, {key: numpy array} in stream order, list of log records).
    Needs no torch."""
    it = read_stream(path, "model", check_crc)
    meta = next(it)["meta"]
    sd, logs = {}, []
    for rec in it:
        if rec["t"] == "log":
            logs.append({k: v for k, v in rec.items() if k not in ("t", "seq")})
        elif rec["t"] == "param":
            name = rec.get("name")
            if not isinstance(name, str) or name in sd:
                raise InputError("%s: param record %d: missing or repeated "
                                 "name %r" % (path, rec["seq"], name))
            value = rec.get("value")
            a = to_numpy(value, "param %s" % name)
            want = "i64" if name.endswith("num_batches_tracked") else "f32"
            if value["dtype"] != want:
                raise InputError("%s: param %s is %s, expected %s"
                                 % (path, name, value["dtype"], want))
            if want == "i64" and a.shape != ():
                raise InputError("%s: param %s has shape %s, expected a scalar"
                                 % (path, name, list(a.shape)))
            sd[name] = a
    for k in ("arch", "width", "depth", "shape", "classes", "mean", "std"):
        if k not in meta:
            raise InputError("%s: model header lacks %r" % (path, k))
    shape = meta["shape"]
    if not (isinstance(shape, list) and len(shape) == 3 and
            all(isinstance(v, int) and v > 0 for v in shape) and
            isinstance(meta["classes"], int) and meta["classes"] >= 2 and
            isinstance(meta["mean"], list) and isinstance(meta["std"], list)
            and len(meta["mean"]) == len(meta["std"]) == shape[0]):
        raise InputError("%s: model header has a bad shape, classes, mean or "
                         "std" % path)
    return meta, sd, logs


def build_model(meta, sd, path):
    """The torch_fixtures module of meta, filled from sd (numpy arrays)
    with load_state_dict(strict=True)."""
    import torch
    import torch_fixtures as tf
    try:
        opts = meta.get("arch_options") or {}
        if not isinstance(opts, dict):
            raise InputError("%s: model header's arch_options is not a map"
                             % path)
        model = tf.make_model(meta["arch"], meta["width"], meta["depth"],
                              tuple(meta["shape"]), meta["classes"], opts)
    except ValueError:
        raise InputError("%s: unknown architecture %r" % (path, meta["arch"]))
    try:
        model.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()},
                              strict=True)
    except RuntimeError as e:
        raise InputError("%s: the parameters do not fit %s width %s: %s"
                         % (path, meta["arch"], meta["width"],
                            str(e).strip().replace("\n\t", " ")))
    return model


# ---------------------------------------------------------------------
# Evaluation


def read_dataset(path, c, h, w, classes, check_crc=True):
    it = read_stream(path, "dataset", check_crc)
    next(it)
    xs, ys = [], []
    for rec in it:
        if rec["t"] != "batch":
            continue
        x = to_numpy(rec.get("x"), "record %d: x" % rec["seq"])
        y = to_numpy(rec.get("y"), "record %d: y" % rec["seq"])
        if (x.dtype != np.uint8 or x.ndim != 4 or x.shape[1:] != (c, h, w)
                or y.dtype != np.int32 or y.shape != (x.shape[0],)):
            raise InputError("%s: record %d: batch needs x u8 [b,%d,%d,%d] and"
                             " y i32 [b] (the model's input)"
                             % (path, rec["seq"], c, h, w))
        if y.size and (y.min() < 0 or y.max() >= classes):
            raise InputError("%s: record %d: label out of range for %d classes"
                             % (path, rec["seq"], classes))
        xs.append(x)
        ys.append(y)
    if not xs:
        raise InputError("%s: the dataset is empty" % path)
    return np.concatenate(xs), np.concatenate(ys)


def evaluate(model, meta, x, y, batch):
    """Mean loss (meta "loss": cross-entropy, or squared error on one-hot
    targets) and accuracy in eval mode, as dbv-train's evaluate():
    normalise as dbv_make_batch, float32 forward, loss summed in
    float64."""
    import torch
    import torch.nn.functional as F
    c = x.shape[1]
    mean = [float(v) for v in meta["mean"]]
    std = [float(v) for v in meta["std"]]
    scale = torch.tensor([np.float32(1.0 / (255.0 * std[i])) for i in range(c)],
                         dtype=torch.float32).view(1, c, 1, 1)
    shift = torch.tensor([np.float32(-mean[i] / std[i]) for i in range(c)],
                         dtype=torch.float32).view(1, c, 1, 1)
    model.eval()
    total, correct = 0.0, 0
    with torch.no_grad():
        for s in range(0, len(x), batch):
            xb = torch.from_numpy(x[s:s + batch]).float() * scale + shift
            yb = torch.from_numpy(y[s:s + batch]).long()
            logits = model(xb)
            if meta.get("loss") == "mse":
                hot = F.one_hot(yb, logits.shape[1]).double()
                total += float(F.mse_loss(logits.double(), hot,
                                          reduction="sum")) / logits.shape[1]
            else:
                total += float(F.cross_entropy(logits.double(), yb,
                                               reduction="sum"))
            correct += int((logits.argmax(1) == yb).sum())
    return total / len(x), correct / len(x), correct


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="dbv2torch.py",
        description="Load a dbv model stream into its PyTorch module; "
        "optionally evaluate it on a dataset stream and save the state_dict.")
    ap.add_argument("model", help="model stream written by dbv-train")
    ap.add_argument("--eval", metavar="DATASET", help="dataset stream to evaluate on")
    ap.add_argument("--save", metavar="FILE.pt", help="torch.save the state_dict")
    ap.add_argument("--batch", type=int, default=256, help="eval batch (default 256)")
    ap.add_argument("--threads", type=int, default=0,
                    help="torch threads (default: torch's own)")
    ap.add_argument("--no-crc", action="store_true", help="skip the CRC-32C checks")
    a = ap.parse_args(argv)
    if a.batch < 1:
        ap.error("--batch must be at least 1")
    prog = "dbv2torch.py"
    try:
        # Both streams are read and checked before torch is imported
        # (which takes seconds), so bad input fails fast.
        meta, sd, logs = read_model(a.model, not a.no_crc)
        if a.eval:
            c, h, w = meta["shape"]
            x, y = read_dataset(a.eval, c, h, w, meta["classes"], not a.no_crc)
        try:
            import torch
        except ImportError as e:
            print("%s: error: cannot import torch (%s): run it with a Python "
                  "that has PyTorch, e.g. /usr/bin/python3 on Debian"
                  % (prog, e), file=sys.stderr)
            return EXIT_IO
        if a.threads:
            torch.set_num_threads(a.threads)
        model = build_model(meta, sd, a.model)
        out = {"arch": meta["arch"], "width": meta["width"],
               "depth": meta["depth"], "shape": meta["shape"],
               "classes": meta["classes"],
               "params": sum(p.numel() for p in model.parameters()),
               "tensors": len(sd), "epochs": len(logs),
               "log": logs[-1] if logs else None}
        if a.eval:
            loss, acc, correct = evaluate(model, meta, x, y, a.batch)
            out.update({"n": int(len(x)), "loss": loss, "acc": acc,
                        "correct": correct})
        if a.save:
            tmp = a.save + ".tmp.%d" % os.getpid()
            try:
                torch.save(model.state_dict(), tmp)
                os.replace(tmp, a.save)
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
    except InputError as e:
        print("%s: error: %s" % (prog, e), file=sys.stderr)
        return EXIT_INPUT
    except OSError as e:
        print("%s: error: %s" % (prog, e), file=sys.stderr)
        return EXIT_IO
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
