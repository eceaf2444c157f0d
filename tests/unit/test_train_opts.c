/*
 * test_train_opts.c - the text forms of dbv-train's --augment, --betas
 * and --milestones (lib/nn/optim.c): what each valid text sets, and that
 * an invalid one is refused with DBV_EUSAGE and leaves its outputs as
 * they were.
 */
#include <string.h>

#include "check.h"
#include "dbv.h"

static void test_augment(void)
{
	static const struct {
		const char *s;
		int rc, pad, flip;
	} cases[] = {
		{"none", DBV_OK, 0, 0},       {"flip", DBV_OK, 0, 1},
		{"crop:4", DBV_OK, 4, 0},     {"crop:4,flip", DBV_OK, 4, 1},
		{"flip,crop:64", DBV_OK, 64, 1},
		{"", DBV_EUSAGE, 7, 7},       {"flip,flip", DBV_EUSAGE, 7, 7},
		{"crop:0", DBV_EUSAGE, 7, 7}, {"crop:65", DBV_EUSAGE, 7, 7},
		{"crop:4,crop:2", DBV_EUSAGE, 7, 7}, {"flip,", DBV_EUSAGE, 7, 7},
		{"mirror", DBV_EUSAGE, 7, 7}, {"crop:", DBV_EUSAGE, 7, 7},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		int pad = 7, flip = 7;
		CHECK_RC(dbv_parse_augment(cases[i].s, &pad, &flip), cases[i].rc);
		CHECK_EQ_INT(pad, cases[i].pad);
		CHECK_EQ_INT(flip, cases[i].flip);
	}
	char longs[100];
	memset(longs, 'f', sizeof longs - 1);
	longs[sizeof longs - 1] = 0;
	int pad = 7, flip = 7;
	CHECK_RC(dbv_parse_augment(longs, &pad, &flip), DBV_EUSAGE);
	CHECK(strstr(dbv_errmsg(), "is not an augmentation") != NULL);
}

static void test_betas(void)
{
	double b1 = -1, b2 = -1;
	CHECK_OK(dbv_parse_betas("0.5,0.99", &b1, &b2));
	CHECK(b1 == 0.5 && b2 == 0.99);
	static const char *const bad[] = {"0.5", "0.5;0.9", "1,0.9", "0.5,1",
					  "x,0.9", "0.5,", ",0.9", "-0.1,0.9"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		b1 = b2 = -1;
		CHECK_RC(dbv_parse_betas(bad[i], &b1, &b2), DBV_EUSAGE);
		CHECK(b1 == -1 && b2 == -1);
	}
}

static void test_milestones(void)
{
	struct dbv_train_cfg c;
	char many[200] = "";

	dbv_train_cfg_default(&c);
	CHECK_OK(dbv_parse_milestones("3,10,200", &c));
	CHECK_EQ_INT(c.nmilestones, 3);
	CHECK(c.milestones[0] == 3 && c.milestones[1] == 10 && c.milestones[2] == 200);
	CHECK_RC(dbv_parse_milestones("0", &c), DBV_EUSAGE);
	CHECK_RC(dbv_parse_milestones("1,x", &c), DBV_EUSAGE);
	for (int i = 0; i <= DBV_MAX_MILESTONES; i++)
		snprintf(many + strlen(many), sizeof many - strlen(many), "%s%d",
			 i ? "," : "", i + 1);
	CHECK_RC(dbv_parse_milestones(many, &c), DBV_EUSAGE);
	CHECK(strstr(dbv_errmsg(), "milestones") != NULL);
	CHECK_EQ_INT(c.nmilestones, 3);
}

int main(void)
{
	test_augment();
	test_betas();
	test_milestones();
	return check_done();
}
