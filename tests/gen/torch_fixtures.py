#!/usr/bin/python3
"""torch_fixtures.py - PyTorch reference fixtures for dbv's models and
optimizers, checked by tests/unit/test_torch.c (so `make check` needs no
PyTorch).

Regenerate from the repository root with Debian's Python (python3-torch,
python3-numpy, python3-msgpack; a pyenv `python3` lacks torch):

    /usr/bin/python3 tests/gen/torch_fixtures.py

It writes tests/fixtures/torch/*.dbv and prints, per case, how far
PyTorch's own float32 computation is from the float64 reference, which
calibrates the tolerances of test_torch.c.  The output is deterministic:
rerunning it gives byte-identical files (fixed seeds, one thread; the
reference is computed in float64 and rounded to float32).  It was made
with torch 1.13, numpy 1.24, msgpack 1.0.

Each file is a dbv stream (man/dbv-stream.5, version 1.0) of kind
"fixture": the header's meta says what the case is (arch, width, depth,
shape [c,h,w], classes, batch, or the optimizer settings), then one
record per tensor,

    {"t":"tensor", "seq":k, "name":NAME, "value":TENSOR}

Model cases ("arch" in meta), all for a batch of 4 in train mode:
    input              f32 [n,c,h,w]   normalised inputs (NCHW)
    labels             i32 [n]
    param/KEY          the state_dict before the forward, in state_dict
                       order (num_batches_tracked: i64 scalar, shape [])
    logits             f32 [n,classes] train-mode forward
    loss               f64 []          mean cross-entropy
    grad/KEY           f32             gradient of every parameter
    running/KEY        BN buffers after that one train forward
    eval_logits        f32 [n,classes] eval-mode forward done after it
  For tensors too large to store (fcnet's wide layers, more than
  SAMPLE_ABOVE elements) the parameters come from dbv's own
  initialisation, dbv_model_init(model, meta.init_seed) (reimplemented
  here with tests/gen/rng_kat.py's Rng), and the file holds, instead of
  param/KEY and grad/KEY:
    index/KEY          i64 [S]  flat indices, increasing
    shape/KEY          i64 [d]  the tensor's shape
    param_at/KEY       f32 [S]  the parameter at those indices
    grad_at/KEY        f32 [S]  its gradient there
    grad_norm/KEY      f64 []   the Frobenius norm of the whole gradient
  index/KEY stands where param/KEY would, so the order of the param/ and
  index/ records is the state_dict order.

  Conv and linear layers have PyTorch's default initialisation (seeded);
  BN weight, bias and running statistics and num_batches_tracked are
  randomised too, because the defaults (1, 0, 0, 1) would hide a mixed-up
  gamma/beta or a running average that is overwritten instead of updated.

Optimizer cases ("optim" in meta): a tiny dbv model (mlp width 2, depth 1
on [1,2,2], 2 classes, so dbv can hold it), lrs[s] the learning rate of
step s:
    param/KEY          f32   initial parameters
    step{s}/grad/KEY   f32   the gradient given at step s (1..3)
    step{s}/param/KEY  f32   parameters after step s
computed by torch.optim (foreach=False) in float64 from these float32
values.

Model structures: exactly the module structure and parameter names of
lib/nn/models.c (the state_dict keys are what dbv names its parameters).
The token models (vit, mixer) are written as the paper's reference code
writes them (lucidrains' vit-pytorch and mlp-mixer-pytorch; einops'
Rearrange and Reduce as small modules); their cases carry
"arch_options" in meta, LayerNorm weights and biases randomised, and the
"_drop" cases "dropout_seed": the train forward then drops with dbv's
masks (HashDropout, lib/nn/tokens.h's definition in numpy), so the
comparison covers dropout's place, scale and mask definition.
"""
import copy
import math
import os
import sys

import msgpack
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rng_kat import Rng  # noqa: E402  dbv's PRNG, for fcnet's init

OUTDIR = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                      "..", "fixtures", "torch")
BATCH = 4
SAMPLE_ABOVE = 8192   # store tensors with more elements as samples
NSAMPLE = 1024

# ---------------------------------------------------------------------
# CRC-32C (Castagnoli), reflected polynomial 0x82F63B78

_CRC_TABLE = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ (0x82F63B78 if _c & 1 else 0)
    _CRC_TABLE.append(_c)


def crc32c(data, crc=0):
    crc ^= 0xFFFFFFFF
    t = _CRC_TABLE
    for b in data:
        crc = t[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


assert crc32c(b"123456789") == 0xE3069283
assert crc32c(b"6789", crc32c(b"12345")) == 0xE3069283

# ---------------------------------------------------------------------
# Stream writer

DTYPES = {np.dtype("<f4"): "f32", np.dtype("<f8"): "f64",
          np.dtype("<i4"): "i32", np.dtype("<i8"): "i64"}


class Stream:
    """A version 1.0 stream of `kind` whose records are all of type `rec`
    ({"t":rec, "seq":k, "name":NAME, "value":TENSOR}); scripts/torch2dbv.py
    writes model streams ("param" records) with it."""

    def __init__(self, meta, kind="fixture", rec="tensor",
                 tool="torch_fixtures.py", pipeline=()):
        self.meta = meta
        self.kind, self.rec, self.tool = kind, rec, tool
        self.pipeline = list(pipeline)
        self.records = []

    def add(self, name, value, dtype=None):
        if isinstance(value, torch.Tensor):
            value = value.detach().cpu().numpy()
        a = np.asarray(value)
        if dtype is not None:
            a = a.astype(dtype)
        # (np.ascontiguousarray would make a scalar 1-d)
        a = np.array(a, dtype=a.dtype.newbyteorder("<"), order="C")
        assert a.dtype in DTYPES, (name, a.dtype)
        assert not any(r[0] == name for r in self.records), name
        self.records.append((name, a))

    def write(self, path):
        p = msgpack.Packer(use_bin_type=True)
        header = {"t": "dbv", "v": [1, 0], "kind": self.kind,
                  "tool": self.tool, "pipeline": self.pipeline,
                  "meta": self.meta}
        out = [p.pack(header)]
        assert out[0][:7] == b"\x86\xa1t\xa3dbv"
        crc = 0
        for k, (name, a) in enumerate(self.records, 1):
            data = a.tobytes()
            crc = crc32c(data, crc)
            out.append(p.pack({"t": self.rec, "seq": k, "name": name,
                               "value": {"dtype": DTYPES[a.dtype],
                                         "shape": list(a.shape),
                                         "data": data}}))
        n = len(self.records)
        out.append(p.pack({"t": "end", "records": n,
                           "counts": {self.rec: n}, "crc": crc,
                           "status": "ok"}))
        blob = b"".join(out)
        with open(path + ".tmp", "wb") as f:
            f.write(blob)
        os.replace(path + ".tmp", path)
        return len(blob)

# ---------------------------------------------------------------------
# The architectures of lib/nn/models.c


class MLP(nn.Module):
    """mlp: depth x [Linear(width) ReLU] -> Linear(classes), as hidden.i
    and fc; fcnet: the same with widths 1024, 512, 256, 64."""

    def __init__(self, inf, widths, classes):
        super().__init__()
        self.hidden = nn.ModuleList()
        for w in widths:
            self.hidden.append(nn.Linear(inf, w))
            inf = w
        self.fc = nn.Linear(inf, classes)

    def forward(self, x):
        x = x.flatten(1)
        for lin in self.hidden:
            x = F.relu(lin(x))
        return self.fc(x)


class RF(nn.Module):
    """rf: random features, a fixed ReLU layer (the buffer features.weight
    [width, in]: no bias, not a parameter) -> Linear(classes) as fc."""

    def __init__(self, inf, width, classes):
        super().__init__()
        self.features = nn.Module()
        self.features.register_buffer("weight", torch.zeros(width, inf))
        self.fc = nn.Linear(width, classes)

    def forward(self, x):
        return self.fc(F.relu(F.linear(x.flatten(1), self.features.weight)))


class CNN5(nn.Module):
    def __init__(self, c, k, classes):
        super().__init__()
        self.conv1 = nn.Conv2d(c, k, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(k)
        self.conv2 = nn.Conv2d(k, 2 * k, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(2 * k)
        self.conv3 = nn.Conv2d(2 * k, 4 * k, 3, padding=1)
        self.bn3 = nn.BatchNorm2d(4 * k)
        self.conv4 = nn.Conv2d(4 * k, 8 * k, 3, padding=1)
        self.bn4 = nn.BatchNorm2d(8 * k)
        self.fc = nn.Linear(8 * k, classes)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)
        x = F.max_pool2d(F.relu(self.bn3(self.conv3(x))), 2)
        x = F.max_pool2d(F.relu(self.bn4(self.conv4(x))), 2)
        # Global max pool; the first maximum gets the gradient, as dbv.
        x = F.adaptive_max_pool2d(x, 1).flatten(1)
        return self.fc(x)


class PreActBlock(nn.Module):
    """Kuang Liu's PreActBlock (pytorch-cifar, models/preact_resnet.py)."""

    def __init__(self, in_planes, planes, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_planes)
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        if stride != 1 or in_planes != planes:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_planes, planes, 1, stride, bias=False))

    def forward(self, x):
        out = F.relu(self.bn1(x))
        shortcut = self.shortcut(out) if hasattr(self, "shortcut") else x
        out = self.conv1(out)
        out = self.conv2(F.relu(self.bn2(out)))
        return out + shortcut


class PreActResNet18(nn.Module):
    def __init__(self, c, k, classes):
        super().__init__()
        self.conv1 = nn.Conv2d(c, k, 3, 1, 1, bias=False)
        inp = k
        for s in range(4):
            blocks = []
            for i in range(2):
                planes = k << s
                blocks.append(PreActBlock(inp, planes,
                                          2 if s > 0 and i == 0 else 1))
                inp = planes
            setattr(self, "layer%d" % (s + 1), nn.Sequential(*blocks))
        self.linear = nn.Linear(inp, classes)

    def forward(self, x):
        out = self.conv1(x)
        for s in range(4):
            out = getattr(self, "layer%d" % (s + 1))(out)
        out = F.adaptive_avg_pool2d(out, 1).flatten(1)
        return self.linear(out)


class VGG11(nn.Module):
    CFG = [1, "M", 2, "M", 4, 4, "M", 8, 8, "M", 8, 8, "M"]
    CFGS = {11: CFG,
            13: [1, 1, "M", 2, 2, "M", 4, 4, "M", 8, 8, "M", 8, 8, "M"],
            16: [1, 1, "M", 2, 2, "M", 4, 4, 4, "M", 8, 8, 8, "M",
                 8, 8, 8, "M"],
            19: [1, 1, "M", 2, 2, "M", 4, 4, 4, 4, "M", 8, 8, 8, 8, "M",
                 8, 8, 8, 8, "M"]}

    def __init__(self, c, h, w, k, classes, depth=11):
        """Kuang Liu's VGG (cfg in multiples of k: 64 is his), vgg11 and
        vgg --depth 11|13|16|19."""
        super().__init__()
        layers = []
        for v in self.CFGS[depth]:
            if v == "M":
                if h >= 2 and w >= 2:   # dbv skips pools on 1-wide maps
                    layers.append(nn.MaxPool2d(2))
                    h //= 2
                    w //= 2
                continue
            layers += [nn.Conv2d(c, k * v, 3, padding=1),
                       nn.BatchNorm2d(k * v), nn.ReLU()]
            c = k * v
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(c, classes)

    def forward(self, x):
        x = self.features(x)
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.classifier(x)


class Bottleneck(nn.Module):
    """Kuang Liu's DenseNet Bottleneck (pytorch-cifar, models/densenet.py):
    the new features first in the concatenation."""

    def __init__(self, in_planes, growth_rate):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_planes)
        self.conv1 = nn.Conv2d(in_planes, 4 * growth_rate, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(4 * growth_rate)
        self.conv2 = nn.Conv2d(4 * growth_rate, growth_rate, 3, padding=1,
                               bias=False)

    def forward(self, x):
        out = self.conv1(F.relu(self.bn1(x)))
        out = self.conv2(F.relu(self.bn2(out)))
        return torch.cat([out, x], 1)


class Transition(nn.Module):
    def __init__(self, in_planes, out_planes):
        super().__init__()
        self.bn = nn.BatchNorm2d(in_planes)
        self.conv = nn.Conv2d(in_planes, out_planes, 1, bias=False)

    def forward(self, x):
        return F.avg_pool2d(self.conv(F.relu(self.bn(x))), 2)


class DenseNet121(nn.Module):
    """Kuang Liu's DenseNet(Bottleneck, [6, 12, 24, 16], growth_rate=g);
    his head avg_pool2d(4) is the global average pool on CIFAR's 4x4 map,
    and dbv's on any map."""

    def __init__(self, c, g, classes):
        super().__init__()
        planes = 2 * g
        self.conv1 = nn.Conv2d(c, planes, 3, padding=1, bias=False)
        for i, nb in enumerate([6, 12, 24, 16]):
            layers = []
            for _ in range(nb):
                layers.append(Bottleneck(planes, g))
                planes += g
            setattr(self, "dense%d" % (i + 1), nn.Sequential(*layers))
            if i < 3:
                out = int(math.floor(planes * 0.5))
                setattr(self, "trans%d" % (i + 1), Transition(planes, out))
                planes = out
        self.bn = nn.BatchNorm2d(planes)
        self.linear = nn.Linear(planes, classes)

    def forward(self, x):
        out = self.conv1(x)
        out = self.trans1(self.dense1(out))
        out = self.trans2(self.dense2(out))
        out = self.trans3(self.dense3(out))
        out = self.dense4(out)
        out = F.adaptive_avg_pool2d(F.relu(self.bn(out)), 1)
        return self.linear(out.flatten(1))


class BasicWideBlock(nn.Module):
    """The paper's WideResNet block (xternalz's BasicBlock, dropout 0)."""

    def __init__(self, in_planes, out_planes, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_planes)
        self.conv1 = nn.Conv2d(in_planes, out_planes, 3, stride, 1,
                               bias=False)
        self.bn2 = nn.BatchNorm2d(out_planes)
        self.conv2 = nn.Conv2d(out_planes, out_planes, 3, 1, 1, bias=False)
        self.equal = in_planes == out_planes
        if not self.equal:
            self.convShortcut = nn.Conv2d(in_planes, out_planes, 1, stride,
                                          bias=False)

    def forward(self, x):
        if not self.equal:
            x = F.relu(self.bn1(x))
            out = x
        else:
            out = F.relu(self.bn1(x))
        out = F.relu(self.bn2(self.conv1(out)))
        out = self.conv2(out)
        return (x if self.equal else self.convShortcut(x)) + out


class NetworkBlock(nn.Module):
    def __init__(self, n, in_planes, out_planes, stride):
        super().__init__()
        self.layer = nn.Sequential(*[
            BasicWideBlock(in_planes if i == 0 else out_planes, out_planes,
                           stride if i == 0 else 1) for i in range(n)])

    def forward(self, x):
        return self.layer(x)


class WideResNet(nn.Module):
    """WideResNet-depth-k; the paper's head avg_pool2d(8) is the global
    average pool on CIFAR's 8x8 map."""

    def __init__(self, c, depth, k, classes):
        super().__init__()
        ch = [16, 16 * k, 32 * k, 64 * k]
        n = (depth - 4) // 6
        self.conv1 = nn.Conv2d(c, ch[0], 3, 1, 1, bias=False)
        self.block1 = NetworkBlock(n, ch[0], ch[1], 1)
        self.block2 = NetworkBlock(n, ch[1], ch[2], 2)
        self.block3 = NetworkBlock(n, ch[2], ch[3], 2)
        self.bn1 = nn.BatchNorm2d(ch[3])
        self.fc = nn.Linear(ch[3], classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out",
                                        nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                m.weight.data.fill_(1)
                m.bias.data.zero_()
            elif isinstance(m, nn.Linear):
                m.bias.data.zero_()

    def forward(self, x):
        out = self.block3(self.block2(self.block1(self.conv1(x))))
        out = F.adaptive_avg_pool2d(F.relu(self.bn1(out)), 1)
        return self.fc(out.flatten(1))


# ---------------------------------------------------------------------
# The token models, as the paper's reference code writes them (lucidrains'
# vit-pytorch and mlp-mixer-pytorch, ../ARCHS.md): the same module
# structure, so the same state_dict keys and order.  `drop` makes each
# nn.Dropout (in construction order, which is also the order the forward
# runs them): nn.Dropout, or dbv's hashed masks for the fixtures.


class Patches(nn.Module):
    """einops' Rearrange('b c (h p1) (w p2) -> b (h w) (p1 p2 c)')."""

    def __init__(self, p):
        super().__init__()
        self.p = p

    def forward(self, x):
        b, c, h, w = x.shape
        p = self.p
        x = x.reshape(b, c, h // p, p, w // p, p).permute(0, 2, 4, 3, 5, 1)
        return x.reshape(b, (h // p) * (w // p), p * p * c)


class PreNorm(nn.Module):
    def __init__(self, dim, fn):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.fn = fn

    def forward(self, x):
        return self.fn(self.norm(x))


class FeedForward(nn.Module):
    def __init__(self, dim, hidden, drop):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), drop(),
                                 nn.Linear(hidden, dim), drop())

    def forward(self, x):
        return self.net(x)


class Attention(nn.Module):
    def __init__(self, dim, heads, dim_head, drop):
        super().__init__()
        self.heads = heads
        self.scale = dim_head ** -0.5
        self.to_qkv = nn.Linear(dim, 3 * heads * dim_head, bias=False)
        self.to_out = nn.Sequential(nn.Linear(heads * dim_head, dim), drop())

    def forward(self, x):
        b, n, _ = x.shape
        q, k, v = (t.reshape(b, n, self.heads, -1).transpose(1, 2)
                   for t in self.to_qkv(x).chunk(3, dim=-1))
        attn = (q @ k.transpose(-1, -2) * self.scale).softmax(dim=-1)
        return self.to_out((attn @ v).transpose(1, 2).reshape(b, n, -1))


class Transformer(nn.Module):
    def __init__(self, dim, depth, heads, dim_head, mlp_dim, drop):
        super().__init__()
        self.layers = nn.ModuleList([nn.ModuleList([
            PreNorm(dim, Attention(dim, heads, dim_head, drop)),
            PreNorm(dim, FeedForward(dim, mlp_dim, drop))])
            for _ in range(depth)])

    def forward(self, x):
        for attn, ff in self.layers:
            x = attn(x) + x
            x = ff(x) + x
        return x


class ViT(nn.Module):
    """pool 'cls'; its own parameters come first in the state_dict."""

    def __init__(self, c, h, w, classes, o, drop):
        super().__init__()
        p, dim = o["patch"], o["width"]
        n = (h // p) * (w // p)
        self.to_patch_embedding = nn.Sequential(Patches(p),
                                                nn.Linear(p * p * c, dim))
        self.pos_embedding = nn.Parameter(torch.randn(1, n + 1, dim))
        self.cls_token = nn.Parameter(torch.randn(1, 1, dim))
        self.dropout = drop(o["emb_dropout"])
        self.transformer = Transformer(dim, o["depth"], o["heads"],
                                       o["dim_head"], o["mlp_dim"],
                                       lambda: drop(o["dropout"]))
        self.mlp_head = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, classes))

    def forward(self, img):
        x = self.to_patch_embedding(img)
        cls = self.cls_token.expand(x.shape[0], -1, -1)
        x = torch.cat((cls, x), dim=1) + self.pos_embedding
        x = self.transformer(self.dropout(x))
        return self.mlp_head(x[:, 0])


class PreNormResidual(nn.Module):
    """fn registered before norm, as mlp-mixer-pytorch does."""

    def __init__(self, dim, fn):
        super().__init__()
        self.fn = fn
        self.norm = nn.LayerNorm(dim)

    def forward(self, x):
        return self.fn(self.norm(x)) + x


class TokenMean(nn.Module):
    """einops' Reduce('b n c -> b c', 'mean')."""

    def forward(self, x):
        return x.mean(dim=1)


def mixer_ff(dim, exp, drop, dense):
    return nn.Sequential(dense(dim, dim * exp), nn.GELU(), drop(),
                         dense(dim * exp, dim), drop())


def MLPMixer(c, h, w, classes, o, drop):
    p, dim, exp = o["patch"], o["width"], o["expansion"]
    n = (h // p) * (w // p)
    d = lambda: drop(o["dropout"])  # noqa: E731

    def tokens(i, j):
        return nn.Conv1d(i, j, kernel_size=1)
    return nn.Sequential(
        Patches(p), nn.Linear(p * p * c, dim),
        *[nn.Sequential(PreNormResidual(dim, mixer_ff(n, exp, d, tokens)),
                        PreNormResidual(dim, mixer_ff(dim, exp, d, nn.Linear)))
          for _ in range(o["depth"])],
        nn.LayerNorm(dim), TokenMean(), nn.Linear(dim, classes))


# dbv's defaults for the token models (lib/nn/archopt.c, the paper's).
TOKEN_DEFAULTS = {
    "vit": {"width": 512, "depth": 6, "patch": 4, "heads": 8, "dim_head": 64,
            "mlp_dim": 512, "dropout": 0.1, "emb_dropout": 0.1},
    "mixer": {"width": 512, "depth": 12, "patch": 4, "expansion": 4,
              "dropout": 0.0},
}


def dbv_mix(z):
    """SplitMix64's finaliser on numpy uint64 (wrapping arithmetic)."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xbf58476d1ce4e5b9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94d049bb133111eb)
    return z ^ (z >> np.uint64(31))


def dbv_dropout_u(seed, site, n):
    """dbv_dropout_u(seed, site, j) for j in [0, n) (lib/nn/tokens.h)."""
    with np.errstate(over="ignore"):
        key = dbv_mix(np.uint64(seed) ^ dbv_mix(np.uint64(site + 1)))
        j = np.arange(n, dtype=np.uint64)
        h = dbv_mix(key + j * np.uint64(0x9e3779b97f4a7c15))
    return (h >> np.uint64(40)).astype(np.float32) * np.float32(2.0 ** -24)


class HashDropout(nn.Module):
    """Dropout with dbv's masks: element j (of the contiguous input) is
    dropped when dbv_dropout_u(seed, site, j) < p (in float32), the rest
    scaled by 1/(1 - p)."""

    def __init__(self, p, site, seed):
        super().__init__()
        self.p, self.site, self.seed = p, site, seed

    def forward(self, x):
        if not self.training or self.p <= 0:
            return x
        p = np.float32(self.p)
        keep = dbv_dropout_u(self.seed, self.site, x.numel()) >= p
        mask = keep.astype(np.float64) / (1.0 - float(p))
        return x * torch.from_numpy(mask).to(x.dtype).reshape(x.shape)


def hash_dropout(seed):
    """A drop(p) for ViT/MLPMixer numbering the dropouts as dbv does."""
    sites = [0]

    def make(p):
        sites[0] += 1
        return HashDropout(p, sites[0] - 1, seed)
    return make


def make_model(arch, width, depth, shape, classes, opts=None,
               drop=nn.Dropout):
    """The module of an architecture; opts: a model stream's
    "arch_options" (the token models; dbv's defaults for what it lacks),
    drop: the token models' dropout modules."""
    c, h, w = shape
    if arch in TOKEN_DEFAULTS:
        o = dict(TOKEN_DEFAULTS[arch])
        o.update(opts or {})
        o["width"] = width or o["width"]
        o["depth"] = depth or o["depth"]
        return (ViT if arch == "vit" else MLPMixer)(c, h, w, classes, o, drop)
    if arch == "mlp":
        return MLP(c * h * w, [width] * depth, classes)
    if arch == "fcnet":
        return MLP(c * h * w, [1024, 512, 256, 64], classes)
    if arch == "cnn5":
        return CNN5(c, width, classes)
    if arch == "resnet18":
        return PreActResNet18(c, width, classes)
    if arch == "vgg11":
        return VGG11(c, h, w, width, classes)
    if arch == "rf":
        return RF(c * h * w, width, classes)
    if arch == "vgg":
        return VGG11(c, h, w, width, classes, depth)
    if arch == "wrn":
        return WideResNet(c, depth, width, classes)
    if arch == "densenet":
        return DenseNet121(c, width, classes)
    raise ValueError(arch)


def dbv_init(model, seed):
    """dbv_model_init(m, seed) for a model of Linear layers: every weight
    and bias in table (= state_dict) order ~ (2u - 1) / sqrt(fan_in) in
    float32, u = dbv_rng_float."""
    r = Rng(seed)
    sd = model.state_dict()
    for key, t in sd.items():
        assert key.endswith(".weight") or key.endswith(".bias"), key
        mod = model.get_submodule(key.rsplit(".", 1)[0])
        fan_in = mod.in_features
        bound = np.float32(1) / np.sqrt(np.float32(fan_in))
        n = t.numel()
        # (next >> 40) * 2^-24, then 2u - 1 and * bound, all in float32
        # (each step is exact but the last, which rounds as C's float).
        u = np.array([r.next() >> 40 for _ in range(n)], dtype=np.float64)
        u = (u * 2.0**-24).astype(np.float32)
        v = (np.float32(2) * u - np.float32(1)) * bound
        assert v.dtype == np.float32
        t.copy_(torch.from_numpy(v.reshape(tuple(t.shape))))
    model.load_state_dict(sd)


def randomise_bn(model, gen):
    for mod in model.modules():
        if isinstance(mod, nn.BatchNorm2d):
            c = mod.num_features
            with torch.no_grad():
                mod.weight.copy_(0.5 + torch.rand(c, generator=gen))
                mod.bias.copy_(0.2 * torch.randn(c, generator=gen))
                mod.running_mean.copy_(0.2 * torch.randn(c, generator=gen))
                mod.running_var.copy_(0.5 + torch.rand(c, generator=gen))
            mod.num_batches_tracked.fill_(3)

# ---------------------------------------------------------------------
# Model cases


def run(model, x, labels):
    """Train forward + backward, then an eval forward; returns logits,
    loss, grads, buffers, eval logits."""
    model.train()
    model.zero_grad()
    logits = model(x)
    loss = F.cross_entropy(logits, labels.long())
    loss.backward()
    grads = {k: p.grad.detach().clone() for k, p in model.named_parameters()}
    bufs = {k: b.detach().clone() for k, b in model.named_buffers()}
    model.eval()
    with torch.no_grad():
        ev = model(x)
    return logits.detach(), loss.detach(), grads, bufs, ev


def rel(a, b, floor=0.0):
    a = a.double()
    b = b.double()
    return float((a - b).norm() / (b.norm() + floor))


def randomise_ln(model, gen):
    for mod in model.modules():
        if isinstance(mod, nn.LayerNorm):
            c = mod.normalized_shape[0]
            with torch.no_grad():
                mod.weight.copy_(0.5 + torch.rand(c, generator=gen))
                mod.bias.copy_(0.2 * torch.randn(c, generator=gen))


def model_case(name, seed, arch, width, depth, shape, classes,
               sample_above=SAMPLE_ABOVE, opts=None, drop_seed=None):
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed + 1000)
    model = make_model(arch, width, depth, shape, classes, opts,
                       nn.Dropout if drop_seed is None
                       else hash_dropout(drop_seed))
    meta = {"case": name, "arch": arch, "width": width, "depth": depth,
            "shape": list(shape), "classes": classes, "batch": BATCH}
    if opts is not None:
        meta["arch_options"] = opts
    if drop_seed is not None:
        meta["dropout_seed"] = drop_seed
    big = {k for k, t in model.state_dict().items()
           if t.numel() > sample_above}
    if big:
        meta["init_seed"] = seed
        dbv_init(model, seed)
    randomise_bn(model, gen)
    randomise_ln(model, gen)
    x = torch.randn((BATCH,) + tuple(shape), generator=gen)
    labels = torch.randint(0, classes, (BATCH,), generator=gen,
                           dtype=torch.int32)
    sd0 = {k: v.clone() for k, v in model.state_dict().items()}

    m64 = copy.deepcopy(model).double()
    lg, loss, grads, bufs, ev = run(m64, x.double(), labels)
    # PyTorch's own float32 result, only to report its distance from the
    # float64 reference (what float32 rounding alone gives).
    lg32, loss32, g32, b32, ev32 = run(copy.deepcopy(model), x, labels)
    # (the gradient of a conv bias before BN is 0: relative to the whole
    # gradient's norm there, as test_torch.c does)
    gall = float(torch.cat([g.flatten() for g in grads.values()]).norm())
    noise = {"logits": rel(lg32, lg), "eval": rel(ev32, ev),
             "grad": max(rel(g32[k], grads[k], 1e-3 * gall) for k in grads)}

    s = Stream(meta)
    s.add("input", x, "<f4")
    s.add("labels", labels, "<i4")
    samples = {}
    for k, v in sd0.items():
        if k.endswith("num_batches_tracked"):
            s.add("param/" + k, np.array(int(v), dtype="<i8"))
        elif k in big:
            g = torch.Generator().manual_seed(seed * 7919 + len(samples))
            idx = torch.randperm(v.numel(), generator=g)[:NSAMPLE]
            idx = torch.sort(idx).values
            samples[k] = idx
            s.add("index/" + k, idx, "<i8")
            s.add("shape/" + k, np.array(v.shape), "<i8")
            s.add("param_at/" + k, v.flatten()[idx], "<f4")
        else:
            s.add("param/" + k, v, "<f4")
    s.add("logits", lg, "<f4")
    s.add("loss", loss, "<f8")
    for k, g in grads.items():
        if k in samples:
            s.add("grad_at/" + k, g.flatten()[samples[k]], "<f4")
            s.add("grad_norm/" + k, g.norm(), "<f8")
        else:
            s.add("grad/" + k, g, "<f4")
    for k, b in bufs.items():
        if k.endswith("num_batches_tracked"):
            s.add("running/" + k, np.array(int(b), dtype="<i8"))
        else:
            s.add("running/" + k, b, "<f4")
    s.add("eval_logits", ev, "<f4")
    size = s.write(os.path.join(OUTDIR, name + ".dbv"))
    print("%-22s %8d bytes  %3d records  torch f32 vs f64: logits %.1e"
          " eval %.1e grad %.1e" % (name + ".dbv", size, len(s.records),
                                    noise["logits"], noise["eval"],
                                    noise["grad"]))
    return size

# ---------------------------------------------------------------------
# Optimizer cases

OPT_LRS = [0.1, 0.05, 0.02]
OPT_STEPS = 3


def optim_case(name, seed, optim, wd, nesterov=False):
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed + 1000)
    model = make_model("mlp", 2, 1, (1, 2, 2), 2)
    meta = {"case": name, "arch": "mlp", "width": 2, "depth": 1,
            "shape": [1, 2, 2], "classes": 2, "optim": optim,
            "lrs": OPT_LRS, "momentum": 0.9 if optim == "sgd" else 0.0,
            "weight_decay": wd, "nesterov": nesterov,
            "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "steps": OPT_STEPS}
    s = Stream(meta)
    params = [(k, p.detach().clone().double().requires_grad_())
              for k, p in model.named_parameters()]
    for k, p in params:
        s.add("param/" + k, p, "<f4")
    ps = [p for _, p in params]
    if optim == "sgd":
        opt = torch.optim.SGD(ps, lr=OPT_LRS[0], momentum=0.9,
                              weight_decay=wd, nesterov=nesterov,
                              foreach=False)
    elif optim == "adam":
        opt = torch.optim.Adam(ps, lr=OPT_LRS[0], betas=(0.9, 0.999),
                               eps=1e-8, weight_decay=wd, foreach=False)
    else:
        opt = torch.optim.AdamW(ps, lr=OPT_LRS[0], betas=(0.9, 0.999),
                                eps=1e-8, weight_decay=wd, foreach=False)
    for step in range(1, OPT_STEPS + 1):
        for g in opt.param_groups:
            g["lr"] = OPT_LRS[step - 1]
        for k, p in params:
            g = torch.randn(p.shape, generator=gen).float()
            p.grad = g.double()
            s.add("step%d/grad/%s" % (step, k), g, "<f4")
        opt.step()
        for k, p in params:
            s.add("step%d/param/%s" % (step, k), p, "<f4")
    size = s.write(os.path.join(OUTDIR, name + ".dbv"))
    print("%-22s %8d bytes  %3d records" % (name + ".dbv", size,
                                            len(s.records)))
    return size


MODEL_CASES = [
    # name, seed, arch, width, depth, shape, classes
    ("mlp_w3_d1", 1, "mlp", 3, 1, (1, 8, 8), 10),
    ("mlp_w3_d2", 2, "mlp", 3, 2, (3, 6, 6), 5),
    ("fcnet", 3, "fcnet", 1, 0, (1, 4, 4), 10),
    ("cnn5_w2_3x16", 4, "cnn5", 2, 0, (3, 16, 16), 10),
    ("cnn5_w3_1x12", 5, "cnn5", 3, 0, (1, 12, 12), 4),
    ("resnet18_w2_3x16", 6, "resnet18", 2, 0, (3, 16, 16), 10),
    ("resnet18_w3_1x12", 7, "resnet18", 3, 0, (1, 12, 12), 4),
    # 32x32: all five pools; 16x16: the last pool is skipped (1x1 map);
    # 12x12: the 4th pool halves 3x3 to 1x1 and the 5th is skipped, which
    # shifts the indices of the last convs (features.21, .24 not .22, .25)
    ("vgg11_w2_3x32", 8, "vgg11", 2, 0, (3, 32, 32), 10),
    ("vgg11_w2_3x16", 9, "vgg11", 2, 0, (3, 16, 16), 10),
    ("vgg11_w3_1x12", 10, "vgg11", 3, 0, (1, 12, 12), 4),
    # Issue 15: VGG-19 (both input shapes; on 28x28 the fifth pool is
    # skipped), VGG-13; WideResNet-10-1 (block1 identity shortcuts,
    # blocks 2 and 3 strided 1x1 convShortcut; 28 -> 14 -> 7), WRN-16-1
    # (identity blocks in every group); DenseNet-121
    # with growth 2 (32x32: pools to 4x4; 28x28: 7 -> 3, an odd map's last
    # row and column dropped).  Stored whole (no samples: the sampled form
    # needs dbv's uniform init, which wrn does not use).
    ("vgg19_w1_3x32", 30, "vgg", 1, 19, (3, 32, 32), 10, 1 << 20),
    ("vgg19_w1_1x28", 31, "vgg", 1, 19, (1, 28, 28), 10, 1 << 20),
    ("vgg13_w2_1x12", 32, "vgg", 2, 13, (1, 12, 12), 4, 1 << 20),
    ("wrn10_w1_1x28", 33, "wrn", 1, 10, (1, 28, 28), 10, 1 << 20),
    ("wrn16_w1_3x32", 34, "wrn", 1, 16, (3, 32, 32), 10, 1 << 20),
    ("densenet_w2_3x32", 35, "densenet", 2, 0, (3, 32, 32), 10, 1 << 20),
    ("densenet_w2_1x28", 36, "densenet", 2, 0, (1, 28, 28), 10, 1 << 20),
    # the token models without dropout (their options given: dropout 0),
    # and with dbv's hashed masks (dropout_seed)
    ("vit_w8_3x8", 11, "vit", 8, 2, (3, 8, 8), 10, SAMPLE_ABOVE,
     {"patch": 4, "heads": 2, "dim_head": 4, "mlp_dim": 12, "dropout": 0.0,
      "emb_dropout": 0.0}),
    ("vit_w6_1x12_drop", 12, "vit", 6, 2, (1, 12, 12), 4, SAMPLE_ABOVE,
     {"patch": 3, "heads": 3, "dim_head": 2, "mlp_dim": 10, "dropout": 0.25,
      "emb_dropout": 0.125}, 987654321),
    ("mixer_w6_1x8x12", 13, "mixer", 6, 2, (1, 8, 12), 10, SAMPLE_ABOVE,
     {"patch": 2, "expansion": 2, "dropout": 0.0}),
    ("mixer_w5_3x8_drop", 14, "mixer", 5, 2, (3, 8, 8), 4, SAMPLE_ABOVE,
     {"patch": 2, "expansion": 3, "dropout": 0.25}, 424242),
]

OPTIM_CASES = [
    ("optim_sgd", 20, "sgd", 5e-4, False),
    ("optim_sgd_nesterov", 21, "sgd", 5e-4, True),
    ("optim_adam", 22, "adam", 1e-2, False),
    ("optim_adamw", 23, "adamw", 1e-2, False),
]


def main():
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    os.makedirs(OUTDIR, exist_ok=True)
    total = 0
    for c in MODEL_CASES:
        total += model_case(*c)
    for c in OPTIM_CASES:
        total += optim_case(*c)
    print("total %d bytes" % total)


if __name__ == "__main__":
    main()
