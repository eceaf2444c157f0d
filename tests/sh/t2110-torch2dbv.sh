#!/bin/sh
# t2110-torch2dbv.sh - scripts/torch2dbv.py converts state_dicts saved by
# the PyTorch modules of tests/gen/torch_fixtures.py (written as the
# paper's reference code writes them) into dbv model streams, and
# dbv-predict gives the labels PyTorch gives on the same plane: densenet,
# wrn and vgg --depth 19 (trained a little in PyTorch) on mkfixtures'
# fake Fashion-MNIST (1x28x28) and CIFAR-10 (3x32x32).  PyTorch
# evaluates the plane's points as dbv-plane --expand writes them (pixel
# units), normalised with the model's mean and std; the logits must
# agree within 1e-3 (relative to the largest) and the labels wherever
# PyTorch's two largest logits are apart by more than that (90% of the
# points at least), with two classes or more on the planes.  Also: the
# wrapped forms torch2dbv takes ({"net": sd}, DataParallel's "module."
# keys), and its refusals.  Needs PYTHON_TORCH (Debian's /usr/bin/python3
# with python3-torch, -numpy, -msgpack); skipped without.  About a minute
# of CPU (ten Python runs that import torch).
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/lib.sh"

PY=${DBV_TORCH_PYTHON:-/usr/bin/python3}
T2D=$SRC/scripts/torch2dbv.py

test_expect_success PYTHON_TORCH 'fixtures' '
	mkfixtures fx >/dev/null &&
	dbv-load fashion-mnist --dir fx/fmnist -o fm.dbv &&
	dbv-load cifar10 --dir fx/cifar10 -o c10.dbv
'

# save ARCH WIDTH DEPTH DATA SEED WRAP OUT.pt: a module with PyTorch's
# initialisation (seeded), trained for 15 Adam steps on DATA (so that the
# planes hold several classes: at initialisation one class wins
# everywhere), its state_dict saved as is (WRAP "none"), as {"net": sd}
# ("net") or with "module." keys ("module").
save() {
	"$PY" - "$SRC" "$@" <<-\EOF
	import sys
	sys.path.insert(0, sys.argv[1] + "/scripts")
	sys.path.insert(0, sys.argv[1] + "/tests/gen")
	import numpy as np, torch, dbv2torch as d2t, torch_fixtures as tf
	import torch.nn.functional as F
	arch, width, depth, data, seed, wrap, out = sys.argv[2:]
	torch.manual_seed(int(seed))
	torch.set_num_threads(1)
	it = d2t.read_stream(data, "dataset")
	meta = next(it)["meta"]
	c, h, w = meta["shape"]
	x, y = d2t.read_dataset(data, c, h, w, 10)
	mean = np.array(meta["mean"]).reshape(1, c, 1, 1)
	std = np.array(meta["std"]).reshape(1, c, 1, 1)
	x = torch.from_numpy(((x / 255.0 - mean) / std).astype(np.float32))
	y = torch.from_numpy(y).long()
	m = tf.make_model(arch, int(width), int(depth), (c, h, w), 10)
	opt = torch.optim.Adam(m.parameters(), lr=0.01)
	for step in range(15):
	    opt.zero_grad()
	    F.cross_entropy(m(x), y).backward()
	    opt.step()
	sd = m.state_dict()
	if wrap == "net":
	    sd = {"net": sd, "acc": 0.5, "epoch": 3}
	elif wrap == "module":
	    sd = {"module." + k: v for k, v in sd.items()}
	torch.save(sd, out)
	EOF
}

# norm DATA: "--mean M,... --std S,..." of a dataset stream's header.
norm() {
	dbv-inspect --head 0 "$1" | head -1 |
	sed "s/.*\"mean\":\[\([^]]*\)\],\"std\":\[\([^]]*\)\].*/--mean \1 --std \2/"
}

# same ARCH WIDTH DEPTH DATA MODEL.dbv PT: PyTorch on the expanded plane
# against dbv-predict --logits on the planes.
same() {
	dbv-plane --triplets 2 --res 9 -o p.dbv "$4" &&
	dbv-plane --triplets 2 --res 9 --expand -o px.dbv "$4" &&
	dbv-predict -m "$5" --logits -o pred.dbv p.dbv &&
	"$PY" - "$SRC" "$@" <<-\EOF
	import sys
	sys.path.insert(0, sys.argv[1] + "/scripts")
	sys.path.insert(0, sys.argv[1] + "/tests/gen")
	import numpy as np, torch, dbv2torch as d2t, torch_fixtures as tf
	arch, width, depth, data, model, pt = sys.argv[2:]
	meta, sd, _ = d2t.read_model(model)
	m = d2t.build_model(meta, sd, model).eval()
	xs, idx = [], []
	it = d2t.read_stream("px.dbv", "dataset")
	next(it)
	for r in it:
	    if r["t"] == "batch":
	        xs.append(d2t.to_numpy(r["x"], "x"))
	        idx.append(d2t.to_numpy(r["idx"], "idx"))
	x = np.concatenate(xs).astype(np.float32)
	idx = np.concatenate(idx)
	c = x.shape[1]
	mean = np.array(meta["mean"], dtype=np.float64).reshape(1, c, 1, 1)
	std = np.array(meta["std"], dtype=np.float64).reshape(1, c, 1, 1)
	xn = torch.from_numpy(((x / 255.0 - mean) / std).astype(np.float32))
	with torch.no_grad():
	    lt = m(xn).double().numpy()
	ld, lab = [], []
	it = d2t.read_stream("pred.dbv", "pred")
	next(it)
	for r in it:
	    if r["t"] == "pred":
	        ld.append(d2t.to_numpy(r["logits"], "logits").reshape(-1, 10))
	        lab.append(d2t.to_numpy(r["labels"], "labels").reshape(-1))
	ld = np.concatenate(ld)[idx]
	lab = np.concatenate(lab)[idx]
	scale = 1 + np.abs(lt).max()
	err = np.abs(ld - lt).max() / scale
	top = np.sort(lt, 1)
	clear = (top[:, -1] - top[:, -2]) > 1e-3 * scale
	agree = (lab == lt.argmax(1))
	print("%s: %d points, logits max error %.2e (relative), labels agree "
	      "on %d of %d clear points, %d classes seen"
	      % (arch, len(lt), err, int((agree & clear).sum()),
	         int(clear.sum()), len(set(lab.tolist()))))
	assert len(lt) == 2 * 81, len(lt)
	assert err < 1e-3, err
	assert agree[clear].all()
	assert clear.sum() >= 0.9 * len(lt)
	assert len(set(lab.tolist())) >= 2
	EOF
}

test_expect_success PYTHON_TORCH 'densenet: dbv-predict gives the labels PyTorch gives' '
	save densenet 2 0 fm.dbv 11 none dn.pt &&
	"$PY" "$T2D" dn.pt --arch densenet --width 2 --shape 1,28,28 --classes 10 \
		$(norm fm.dbv) -o dn.dbv &&
	same densenet 2 0 fm.dbv dn.dbv dn.pt &&
	save densenet 2 0 c10.dbv 12 net dnc.pt &&
	"$PY" "$T2D" dnc.pt --arch densenet --width 2 --shape 3,32,32 --classes 10 \
		$(norm c10.dbv) -o dnc.dbv &&
	same densenet 2 0 c10.dbv dnc.dbv dnc.pt
'

test_expect_success PYTHON_TORCH 'wrn: dbv-predict gives the labels PyTorch gives' '
	save wrn 1 10 c10.dbv 13 module wrn.pt &&
	"$PY" "$T2D" wrn.pt --arch wrn --width 1 --depth 10 --shape 3,32,32 --classes 10 \
		$(norm c10.dbv) -o wrn.dbv &&
	same wrn 1 10 c10.dbv wrn.dbv wrn.pt &&
	dbv-inspect --head 0 wrn.dbv | head -1 | grep -q "\"tool\":\"torch2dbv.py\"" &&
	save wrn 1 16 fm.dbv 14 none wrnf.pt &&
	"$PY" "$T2D" wrnf.pt --arch wrn --width 1 --depth 16 --shape 1,28,28 --classes 10 \
		$(norm fm.dbv) -o wrnf.dbv &&
	same wrn 1 16 fm.dbv wrnf.dbv wrnf.pt
'

test_expect_success PYTHON_TORCH 'vgg --depth 19: dbv-predict gives the labels PyTorch gives' '
	save vgg 2 19 c10.dbv 15 none vgg.pt &&
	"$PY" "$T2D" vgg.pt --arch vgg --width 2 --shape 3,32,32 --classes 10 \
		$(norm c10.dbv) -o vgg.dbv &&
	dbv-inspect --head 0 vgg.dbv | head -1 | grep -q "\"depth\":19," &&
	same vgg 2 19 c10.dbv vgg.dbv vgg.pt
'

test_expect_success PYTHON_TORCH 'refused: tensors that do not fit, not a state_dict (exit 3)' '
	test_must_fail 3 "$PY" "$T2D" dn.pt --arch densenet --width 3 --shape 1,28,28 \
		--classes 10 -o x.dbv &&
	grep -q "do not fit densenet width 3" .mf_err &&
	test_must_fail 3 "$PY" "$T2D" wrn.pt --arch wrn --width 1 --shape 3,32,32 \
		--classes 10 -o x.dbv &&
	grep -q "Missing key" .mf_err &&
	test_must_fail 3 "$PY" "$T2D" fm.dbv --arch wrn --width 1 --shape 3,32,32 \
		--classes 10 -o x.dbv &&
	test_expect_code 2 "$PY" "$T2D" dn.pt --arch densenet --width 2 --shape 1,28 \
		--classes 10 -o x.dbv 2>/dev/null &&
	test ! -e x.dbv
'

test_done
