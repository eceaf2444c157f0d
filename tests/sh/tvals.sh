# tests/sh/tvals.sh - sourced by the shell tests that read tensor values
# out of dbv streams independently of libdbv.

# tvals TYPE KEY [FILE]: the values of tensor KEY of every TYPE record of
# a dbv stream, one a line, in stream order (u8, i32, i64 as integers,
# f32 with 9 and f64 with 17 significant digits).  It walks the msgpack
# objects itself (dbv-stream(5): maps back to back, tensors
# {"dtype","shape","data":bin} little-endian) and fails when no such
# record has the key.
tvals() {
	od -An -v -tu1 -w1 ${3+"$3"} | LC_ALL=C awk -v want="$1" -v key="$2" '
	function u(n,   v, k) { v = 0; for (k = 0; k < n; k++) v = v * 256 + B[P++]; return v }
	function s(n,   r, k) { r = ""; for (k = 0; k < n; k++) r = r sprintf("%c", B[P++]); return r }
	function le(at, n,   v, k) { v = 0; for (k = n - 1; k >= 0; k--) v = v * 256 + B[at + k]; return v }
	function bad(m) { print "tvals: " m >"/dev/stderr"; exit 1 }
	# The head of the object at P: TY (map, array, str, bin, num) and N.
	function head(   b, w) {
		if (P >= NR) bad("the stream ends inside an object")
		b = B[P++]; TY = "num"; N = 0
		if (b < 128) { N = b; return }
		if (b < 144) { TY = "map"; N = b - 128; return }
		if (b < 160) { TY = "array"; N = b - 144; return }
		if (b < 192) { TY = "str"; N = b - 160; return }
		if (b >= 224) { N = b - 256; return }
		if (b == 192 || b == 194 || b == 195) return
		if (b >= 196 && b <= 198) { TY = "bin"; N = u(2 ^ (b - 196)); return }
		if (b >= 199 && b <= 201) { TY = "bin"; N = u(2 ^ (b - 199)); P++; return }
		if (b == 202) { P += 4; return }
		if (b == 203) { P += 8; return }
		if (b >= 204 && b <= 207) { N = u(2 ^ (b - 204)); return }
		if (b >= 208 && b <= 211) {
			w = 2 ^ (8 * 2 ^ (b - 208)); N = u(2 ^ (b - 208))
			if (N >= w / 2) N -= w
			return
		}
		if (b >= 212 && b <= 216) { TY = "bin"; N = 2 ^ (b - 212); P++; return }
		if (b >= 217 && b <= 219) { TY = "str"; N = u(2 ^ (b - 217)); return }
		if (b == 220 || b == 221) { TY = "array"; N = u(2 ^ (b - 219)); return }
		if (b == 222 || b == 223) { TY = "map"; N = u(2 ^ (b - 221)); return }
		bad("byte " b " at " P - 1 " is no msgpack type")
	}
	function skip(   n, k) {
		head()
		if (TY == "str" || TY == "bin") P += N
		else if (TY == "array") { n = N; for (k = 0; k < n; k++) skip() }
		else if (TY == "map") { n = 2 * N; for (k = 0; k < n; k++) skip() }
	}
	function mkey() { head(); if (TY != "str") bad("a map key is not a string"); return s(N) }
	function f32(at,   v, e, m) {
		v = le(at, 4); e = int(v / 2 ^ 23) % 256; m = v % 2 ^ 23
		if (e == 255) return m ? "nan" : (v >= 2 ^ 31 ? "-inf" : "inf")
		m = e ? (1 + m / 2 ^ 23) * 2 ^ (e - 127) : m * 2 ^ -149
		return sprintf("%.9g", v >= 2 ^ 31 ? -m : m)
	}
	function f64(at,   hi, e, m) {
		hi = le(at + 4, 4); e = int(hi / 2 ^ 20) % 2048
		m = (hi % 2 ^ 20) * 2 ^ 32 + le(at, 4)
		if (e == 2047) return m ? "nan" : (hi >= 2 ^ 31 ? "-inf" : "inf")
		m = e ? (1 + m / 2 ^ 52) * 2 ^ (e - 1023) : m * 2 ^ -1074
		return sprintf("%.17g", hi >= 2 ^ 31 ? -m : m)
	}
	function emit(dt, at, n,   k, v) {
		if (dt == "u8") for (k = 0; k < n; k++) print B[at + k]
		else if (dt == "i32") for (k = 0; k < n; k += 4) {
			v = le(at + k, 4); print (v >= 2 ^ 31 ? v - 2 ^ 32 : v)
		} else if (dt == "i64") for (k = 0; k < n; k += 8) {
			v = le(at + k + 4, 4); if (v >= 2 ^ 31) v -= 2 ^ 32
			printf "%.0f\n", v * 2 ^ 32 + le(at + k, 4)
		} else if (dt == "f32") for (k = 0; k < n; k += 4) print f32(at + k)
		else if (dt == "f64") for (k = 0; k < n; k += 8) print f64(at + k)
		else bad("dtype " dt)
	}
	{ B[NR - 1] = $1 }
	END {
		P = 0; found = 0
		while (P < NR) {
			head()
			if (TY != "map") bad("not a map at byte " P - 1)
			n = N; t = ""; at = -1
			for (i = 0; i < n; i++) {
				k = mkey()
				if (k == "t") { head(); t = s(N) }
				else if (k == key) {
					head(); m = N; dt = ""
					if (TY != "map") bad(key " is not a tensor")
					for (j = 0; j < m; j++) {
						k = mkey()
						if (k == "dtype") { head(); dt = s(N) }
						else if (k == "data") { head(); at = P; len = N; P += N }
						else skip()
					}
				} else skip()
			}
			if (t == want && at >= 0) { emit(dt, at, len); found++ }
		}
		if (!found) bad("no " want " record with a tensor " key)
	}'
}
