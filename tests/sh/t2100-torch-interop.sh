#!/bin/sh
# t2100-torch-interop.sh - scripts/dbv2torch.py loads dbv-train's model
# streams into the PyTorch modules of tests/gen/torch_fixtures.py
# (load_state_dict strict) and, evaluating the test set in PyTorch,
# reproduces the last "log" record's test_loss (1e-4 relative) and
# test_acc (exactly) for mlp, cnn5, resnet18, vgg11, vit, mixer and rf
# (squared loss, trained by SGD and fitted by least squares).  Data: mkfixtures'
# fake Fashion-MNIST (60 train, 30 test).  Needs Debian's /usr/bin/python3
# with python3-torch, -numpy, -msgpack (DBV_TORCH_PYTHON overrides it):
# the prerequisite PYTHON_TORCH; every test is skipped without them
# (apt-get install python3-torch python3-msgpack).
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/lib.sh"

PY=${DBV_TORCH_PYTHON:-/usr/bin/python3}
D2T=$SRC/scripts/dbv2torch.py

test_expect_success PYTHON_TORCH 'fixtures' '
	mkfixtures fx >/dev/null &&
	dbv-load fashion-mnist --dir fx/fmnist -o train.dbv &&
	dbv-load fashion-mnist --dir fx/fmnist --split test -o test.dbv
'

# check MODEL.dbv OUT.json [OPTION...]: the eval in PyTorch against the
# last log record.  (Each run imports torch, seconds on a busy machine:
# keep them few.)
check() {
	m=$1 j=$2
	shift 2
	"$PY" "$D2T" "$m" --eval test.dbv --threads 1 "$@" >"$j" &&
	"$PY" - "$j" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
log = r["log"]
print("%s: dbv test_loss %.9g acc %.6g | torch loss %.9g acc %.6g (n %d)" %
      (r["arch"], log["test_loss"], log["test_acc"], r["loss"], r["acc"], r["n"]))
assert r["n"] == 30, r["n"]
assert abs(r["loss"] - log["test_loss"]) <= 1e-4 * abs(log["test_loss"]), "loss"
assert r["acc"] == log["test_acc"], "accuracy"
EOF
}

COMMON="--epochs 3 --batch 16 --lr 0.01 --seed 3 -q --test test.dbv"

test_expect_success PYTHON_TORCH 'mlp: PyTorch reproduces the test loss and accuracy' '
	dbv-train --arch mlp --width 32 --depth 2 $COMMON -o mlp.dbv train.dbv &&
	check mlp.dbv mlp.json
'
test_expect_success PYTHON_TORCH 'cnn5: PyTorch reproduces the test loss and accuracy' '
	dbv-train --arch cnn5 --width 4 $COMMON --augment crop:2,flip -o cnn5.dbv train.dbv &&
	check cnn5.dbv cnn5.json --save cnn5.pt
'
test_expect_success PYTHON_TORCH 'resnet18: PyTorch reproduces the test loss and accuracy' '
	dbv-train --arch resnet18 --width 4 $COMMON -o resnet18.dbv train.dbv &&
	check resnet18.dbv resnet18.json
'
test_expect_success PYTHON_TORCH 'vgg11: PyTorch reproduces the test loss and accuracy' '
	dbv-train --arch vgg11 --width 4 $COMMON -o vgg11.dbv train.dbv &&
	check vgg11.dbv vgg11.json
'
test_expect_success PYTHON_TORCH 'rf, squared loss: PyTorch reproduces the test loss and accuracy' '
	dbv-train --arch rf --width 40 --loss mse $COMMON -o rf.dbv train.dbv &&
	check rf.dbv rf.json &&
	dbv-train --arch rf --width 80 --loss mse --optim lstsq --seed 3 -q --test test.dbv \
		-o rfls.dbv train.dbv &&
	check rfls.dbv rfls.json
'
test_expect_success PYTHON_TORCH 'vit (dropout on in training): PyTorch reproduces the test loss and accuracy' '
	dbv-train --arch vit --width 16 --depth 2 --patch 7 --heads 2 --dim-head 8 --mlp-dim 24 $COMMON -o vit.dbv train.dbv &&
	check vit.dbv vit.json
'
test_expect_success PYTHON_TORCH 'mixer: PyTorch reproduces the test loss and accuracy' '
	dbv-train --arch mixer --width 12 --depth 2 --patch 4 --expansion 2 --dropout 0.1 $COMMON -o mixer.dbv train.dbv &&
	check mixer.dbv mixer.json
'
test_expect_success PYTHON_TORCH '--save wrote the state_dict, equal to the param records' '
	"$PY" - <<-EOF
	import sys
	sys.path.insert(0, "$SRC/scripts")
	import torch, dbv2torch
	meta, sd, logs = dbv2torch.read_model("cnn5.dbv")
	pt = torch.load("cnn5.pt")
	assert list(pt) == list(sd), (list(pt), list(sd))
	for k in sd:
	    assert torch.equal(pt[k], torch.from_numpy(sd[k])), k
	assert pt["bn1.num_batches_tracked"].item() == 12  # 3 epochs x 4 batches
	EOF
'
test_expect_success PYTHON_TORCH 'refused: not a model, truncated, corrupt (exit 3)' '
	test_must_fail 3 "$PY" "$D2T" test.dbv && grep -q "expected a model stream" .mf_err &&
	head -c 2000 cnn5.dbv >cut.dbv &&
	test_must_fail 3 "$PY" "$D2T" cut.dbv && grep -q "without an end record" .mf_err &&
	"$PY" -c "import sys; b = bytearray(open(\"cnn5.dbv\", \"rb\").read()); b[-300] ^= 1; open(\"bad.dbv\", \"wb\").write(b)" &&
	test_must_fail 3 "$PY" "$D2T" bad.dbv && grep -q "CRC mismatch" .mf_err
'
test_expect_success PYTHON_TORCH 'refused: an eval set of another shape (exit 3)' '
	dbv-load cifar10 --dir fx/cifar10 --split test -o cifar.dbv &&
	test_must_fail 3 "$PY" "$D2T" mlp.dbv --eval cifar.dbv && grep -q "model.s input" .mf_err
'

test_done
