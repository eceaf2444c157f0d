/*
 * archopt.c - the architectures' options beyond width and depth, as one
 * table: dbv-train's options of the same names (its one generic case),
 * a model stream's "arch_options" map (lib/kinds/model.c) and the
 * checkpoint fingerprint all walk it, so a new option is one row here.
 * Defaults are the paper's (its reference code's, ../ARCHS).
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "nn/nn.h"

enum { A_VIT = 1, A_MIXER = 2 };

struct arch_opt {
	const char *key;   /* meta key                                  */
	const char *flag;  /* the option's name: '-' for the key's '_'  */
	size_t off;        /* into struct dbv_arch: an int or a double  */
	int is_int;
	double lo, hi;
	unsigned archs;    /* A_* that have it                          */
	double def_vit, def_mixer;
};

static const struct arch_opt opts[] = {
	{"patch", "patch", offsetof(struct dbv_arch, patch), 1, 1, 4096,
	 A_VIT | A_MIXER, 4, 4},
	{"heads", "heads", offsetof(struct dbv_arch, heads), 1, 1, 1024, A_VIT, 8, 0},
	{"dim_head", "dim-head", offsetof(struct dbv_arch, dim_head), 1, 1, 65536, A_VIT,
	 64, 0},
	{"mlp_dim", "mlp-dim", offsetof(struct dbv_arch, mlp_dim), 1, 1, 1 << 20, A_VIT,
	 512, 0},
	{"expansion", "expansion", offsetof(struct dbv_arch, expansion), 1, 1, 64, A_MIXER,
	 0, 4},
	{"dropout", "dropout", offsetof(struct dbv_arch, dropout), 0, 0, 0.99,
	 A_VIT | A_MIXER, 0.1, 0},
	{"emb_dropout", "emb-dropout", offsetof(struct dbv_arch, emb_dropout), 0, 0, 0.99,
	 A_VIT, 0.1, 0},
};
#define NOPTS ((int)(sizeof opts / sizeof opts[0]))

static unsigned arch_bit(const char *name)
{
	return !strcmp(name, "vit") ? A_VIT : !strcmp(name, "mixer") ? A_MIXER : 0;
}

const char *dbv_arch_option_name(int i)
{
	return i >= 0 && i < NOPTS ? opts[i].key : NULL;
}

const char *dbv_arch_option_flag(int i)
{
	return i >= 0 && i < NOPTS ? opts[i].flag : NULL;
}

int dbv_arch_option_used(const struct dbv_arch *a, int i)
{
	return i >= 0 && i < NOPTS && (opts[i].archs & arch_bit(a->name));
}

int dbv_arch_option_is_int(int i)
{
	return i >= 0 && i < NOPTS && opts[i].is_int;
}

double dbv_arch_option_get(const struct dbv_arch *a, int i)
{
	const char *p = (const char *)a + opts[i].off;
	int v;
	double f;

	if (opts[i].is_int) {
		memcpy(&v, p, sizeof v);
		return v;
	}
	memcpy(&f, p, sizeof f);
	return f;
}

static void opt_put(struct dbv_arch *a, int i, double v)
{
	char *p = (char *)a + opts[i].off;
	int iv = (int)v;

	if (opts[i].is_int)
		memcpy(p, &iv, sizeof iv);
	else
		memcpy(p, &v, sizeof v);
}

int dbv_arch_option_set(struct dbv_arch *a, int i, double v)
{
	if (i < 0 || i >= NOPTS)
		return dbv_seterr(DBV_EINPUT, "no architecture option %d", i);
	if (!(v >= opts[i].lo && v <= opts[i].hi) ||
	    (opts[i].is_int && v != (double)(int)v))
		return dbv_seterr(DBV_EINPUT, "architecture option '%s' is %g, not %s in [%g, %g]",
				  opts[i].key, v, opts[i].is_int ? "an integer" : "a number",
				  opts[i].lo, opts[i].hi);
	opt_put(a, i, v);
	return DBV_OK;
}

int dbv_arch_option(struct dbv_arch *a, const char *name, const char *value)
{
	char key[32];
	size_t l = strlen(name);

	if (l < sizeof key) {
		for (size_t k = 0; k <= l; k++)
			key[k] = name[k] == '-' ? '_' : name[k];
		for (int i = 0; i < NOPTS; i++) {
			int64_t iv;
			double dv;

			if (strcmp(key, opts[i].key))
				continue;
			if (opts[i].is_int ? dbv_parse_i64(value, (int64_t)opts[i].lo,
							   (int64_t)opts[i].hi, &iv)
					   : dbv_parse_double(value, opts[i].lo,
							      opts[i].hi, &dv))
				return DBV_EUSAGE;
			opt_put(a, i, opts[i].is_int ? (double)iv : dv);
			return DBV_OK;
		}
	}
	return dbv_seterr(DBV_EUSAGE, "unknown architecture option '%s'", name);
}

int dbv_arch_options_check(const struct dbv_arch *a)
{
	for (int i = 0; i < NOPTS; i++)
		if (!(opts[i].archs & arch_bit(a->name)) &&
		    dbv_arch_option_get(a, i) > 0)
			return dbv_seterr(DBV_EUSAGE, "%s has no option '%s' (%s has)",
					  a->name, opts[i].flag,
					  opts[i].archs == A_VIT ? "vit" :
					  opts[i].archs == A_MIXER ? "mixer" : "vit, mixer");
	return DBV_OK;
}

void dbv_arch_init(struct dbv_arch *a)
{
	memset(a, 0, sizeof *a);
	a->dropout = a->emb_dropout = -1;
}

void dbv_arch_defaults(struct dbv_arch *a)
{
	unsigned bit = arch_bit(a->name);

	if (a->width <= 0)
		a->width = bit ? 512 : 16;
	if (a->depth <= 0)
		a->depth = dbv_arch_default_depth(a->name);
	for (int i = 0; i < NOPTS; i++) {
		double v = dbv_arch_option_get(a, i);

		if (opts[i].is_int ? v <= 0 : v < 0)
			opt_put(a, i, !(opts[i].archs & bit) ? 0
				: bit == A_VIT ? opts[i].def_vit : opts[i].def_mixer);
	}
}

void dbv_arch_options_str(const struct dbv_arch *a, char *buf, size_t n)
{
	size_t k = 0;

	if (n)
		buf[0] = 0;
	for (int i = 0; i < NOPTS && k < n; i++)
		if (dbv_arch_option_used(a, i))
			k += (size_t)snprintf(buf + k, n - k, " %s=%.9g", opts[i].key,
					      dbv_arch_option_get(a, i));
}
