/*
 * test_tool.c - the helpers tools/tool.c shares between dbv-render and
 * dbv-chart: lists of option values, option values, directories named by
 * -o, inputs made rewindable (a file, a pipe), readers of an input, PNG
 * output (atomic file, -o), the kind of the input, and a failing exec.
 *
 * The unit tests link libdbv alone (tools/tool.o is the tools'), so this
 * one compiles tools/tool.c into itself.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "tool.c"

static const char *dir;

static char *path(const char *name)
{
	static char buf[4][600];
	static int k;
	char *p = buf[k++ % 4];
	snprintf(p, 600, "%s/%s", dir, name);
	return p;
}

static void test_split_list(void)
{
	size_t n = 0;
	char **v = dbv_tool_split_list(NULL, "a,bc,,d", &n);
	CHECK_EQ_INT(n, 4);
	CHECK(!strcmp(v[0], "a") && !strcmp(v[1], "bc") && !strcmp(v[2], "") &&
	      !strcmp(v[3], "d"));
	/* Given again: the old list is replaced (and freed). */
	v = dbv_tool_split_list(v, "", &n);
	CHECK_EQ_INT(n, 1);
	CHECK(!strcmp(v[0], ""));
	v = dbv_tool_split_list(v, ",", &n);
	CHECK_EQ_INT(n, 2);
	CHECK(!strcmp(v[0], "") && !strcmp(v[1], ""));
	free(v);
}

static void test_values(void)
{
	static const char *const names[] = {"heatmap", "line"};
	optarg = "12";
	CHECK_EQ_INT(dbv_tool_num("--size", 12, 12), 12);
	optarg = "-3";
	CHECK_EQ_INT(dbv_tool_num("--x", INT64_MIN, 0), -3);
	optarg = "line";
	CHECK_EQ_INT(dbv_tool_pick("--chart", names, 2, "heatmap or line"), 1);
	optarg = "heatmap";
	CHECK_EQ_INT(dbv_tool_pick("--chart", names, 2, "heatmap or line"), 0);
}

static void test_out_is_dir(void)
{
	char here[700];
	CHECK(!dbv_tool_out_is_dir(NULL));
	CHECK(!dbv_tool_out_is_dir("-"));
	CHECK(!dbv_tool_out_is_dir(""));
	CHECK(dbv_tool_out_is_dir("no-such-dir/"));
	CHECK(dbv_tool_out_is_dir(dir));
	snprintf(here, sizeof here, "%s/", dir);
	CHECK(dbv_tool_out_is_dir(here));
	CHECK(!dbv_tool_out_is_dir(path("no-such-file.png")));
	int fd = open(path("file.png"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	close(fd);
	CHECK(!dbv_tool_out_is_dir(path("file.png")));
	/* Refused only on a terminal (which exits). */
	dbv_tool_png_tty(path("file.png"));
	if (!isatty(1))
		dbv_tool_png_tty(NULL);
}

/* What is left to read on fd. */
static size_t slurp(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	ssize_t k;
	while (n < cap && (k = read(fd, buf + n, cap - n)) > 0)
		n += (size_t)k;
	return n;
}

static void test_rewindable(void)
{
	char buf[100];
	off_t start = -1;
	int fd, p[2], copied = 0;

	/* A file: its offset, nothing copied. */
	fd = open(path("in"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(write(fd, "0123456789", 10) == 10);
	CHECK(lseek(fd, 3, SEEK_SET) == 3);
	CHECK_OK(dbv_tool_rewindable(&fd, &start, &copied));
	CHECK_EQ_INT(start, 3);
	CHECK_EQ_INT(copied, 0);
	close(fd);
	/* A pipe: what is left of it, in a file of its own from 0. */
	CHECK(pipe(p) == 0);
	CHECK(write(p[1], "abcdef", 6) == 6);
	close(p[1]);
	CHECK(read(p[0], buf, 2) == 2);
	fd = p[0];
	CHECK_OK(dbv_tool_rewindable(&fd, &start, &copied));
	CHECK(fd != p[0]);
	CHECK_EQ_INT(start, 0);
	CHECK_EQ_INT(copied, 1);
	CHECK_EQ_INT(slurp(fd, buf, sizeof buf), 4);
	CHECK(!memcmp(buf, "cdef", 4));
	CHECK(lseek(fd, start, SEEK_SET) == 0);
	CHECK_EQ_INT(slurp(fd, buf, sizeof buf), 4);
	close(fd);
}

/* A stream of one kind from tool (meta: one pair). */
static void write_stream(const char *name, const char *kind, const char *tool)
{
	char *argv[] = {"test", NULL};
	int fd = open(path(name), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	struct dbv_writer *w = dbv_writer_new(fd, tool);
	CHECK_OK(dbv_writer_header_begin(w, kind, NULL, 1, argv, 1));
	dbv_w_key(w, "note");
	dbv_w_str(w, "x");
	CHECK_OK(dbv_writer_header_end(w));
	CHECK_OK(dbv_writer_finish(w));
	dbv_writer_free(w);
	close(fd);
}

/* dbv_tool_read_pred_table on stream `name`: its status. */
static int kind_of(const char *name, int pred, int chart)
{
	struct dbv_reader *r;
	int fd, rc = dbv_tool_open_reader(path(name), NULL, NULL, &fd, &r);
	if (!rc)
		rc = dbv_tool_read_pred_table(r, "IN", pred, chart);
	dbv_reader_free(r);
	if (fd > 0)
		close(fd);
	return rc;
}

static void test_kinds(void)
{
	write_stream("t.dbv", "table", "dbv-compare");
	write_stream("p.dbv", "pred", "dbv-predict");
	write_stream("d.dbv", "dataset", "dbv-load");
	write_stream("e.dbv", "dataset", "");
	CHECK_OK(kind_of("t.dbv", 0, 0));
	CHECK_OK(kind_of("t.dbv", 1, 1));
	CHECK_OK(kind_of("p.dbv", 1, 0));
	CHECK_RC(kind_of("p.dbv", 1, 1), DBV_EUSAGE);
	CHECK(!strcmp(dbv_errmsg(), "IN is a pred stream: --chart, --x, --y, --by, "
		      "--logx, --value and --scale draw table streams (dbv-compare)"));
	CHECK_RC(kind_of("p.dbv", 0, 1), DBV_EINPUT);
	CHECK(!strcmp(dbv_errmsg(), "IN: expected a table stream (dbv-compare), "
		      "got a pred stream (from dbv-predict)"));
	CHECK_RC(kind_of("d.dbv", 1, 0), DBV_EINPUT);
	CHECK(!strcmp(dbv_errmsg(), "IN: expected a pred stream (dbv-predict) or a "
		      "table stream (dbv-compare), got a dataset stream (from dbv-load)"));
	CHECK_RC(kind_of("e.dbv", 0, 0), DBV_EINPUT);
	CHECK(!strcmp(dbv_errmsg(), "IN: expected a table stream (dbv-compare), "
		      "got a dataset stream (from )"));
	/* Not there: the input's message. */
	CHECK_RC(kind_of("none.dbv", 0, 0), DBV_EIO);
	CHECK(strstr(dbv_errmsg(), "cannot open") != NULL);
}

/* Is a temporary file FILE.tmp.PID.N left in the directory? */
static int temps_left(void)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	int n = 0;
	while (d && (e = readdir(d)))
		n += strstr(e->d_name, ".tmp.") != NULL;
	if (d)
		closedir(d);
	return n;
}

static void test_write_picture(void)
{
	struct dbv_canvas cv = {0}, sv = {.vector = 1};
	struct dbv_image back;
	char buf[4096];
	CHECK_OK(dbv_canvas_init(&cv, 3, 2, DBV_RGB(0x102030)));
	dbv_image_set(&cv.im, 2, 1, DBV_RGB(0xff0000));
	/* Atomically to a path, no temporary left. */
	CHECK_OK(dbv_tool_write_picture(&cv, path("a.png"), "ignored.png", "T"));
	CHECK_OK(dbv_image_read_png(&back, path("a.png")));
	CHECK(back.w == 3 && back.h == 2 && !memcmp(back.rgb, cv.im.rgb, 18));
	dbv_image_release(&back);
	CHECK(!temps_left());
	/* To -o. */
	CHECK_OK(dbv_tool_write_picture(&cv, NULL, path("o.png"), NULL));
	CHECK_OK(dbv_image_read_png(&back, path("o.png")));
	CHECK(back.w == 3 && back.h == 2 && !memcmp(back.rgb, cv.im.rgb, 18));
	dbv_image_release(&back);
	CHECK(!temps_left());
	/* A directory that is not there. */
	CHECK_RC(dbv_tool_write_picture(&cv, path("no/x.png"), NULL, NULL), DBV_EIO);
	dbv_canvas_release(&cv);
	/* SVG: the document, its title escaped. */
	CHECK_OK(dbv_canvas_init(&sv, 7, 5, DBV_WHITE));
	dbv_canvas_rect(&sv, 1, 1, 2, 2, DBV_BLACK);
	CHECK_OK(dbv_tool_write_picture(&sv, NULL, path("o.svg"), "a<b"));
	int fd = open(path("o.svg"), O_RDONLY);
	const size_t n = fd >= 0 ? slurp(fd, buf, sizeof buf - 1) : 0;
	buf[n] = 0;
	if (fd >= 0)
		close(fd);
	CHECK(!strncmp(buf, "<?xml", 5));
	CHECK(strstr(buf, "width=\"7\" height=\"5\""));
	CHECK(strstr(buf, "<title>a&lt;b</title>"));
	CHECK(strstr(buf, "<rect x=\"1\" y=\"1\" width=\"2\" height=\"2\" fill=\"#000000\"/>"));
	CHECK(n > 7 && !strcmp(buf + n - 7, "</svg>\n"));
	CHECK(!temps_left());
	dbv_canvas_release(&sv);
}

/* The format of -o and --format (the refusals exit: t3400-svg.sh). */
static void test_picture_format(void)
{
	CHECK_EQ_INT(dbv_tool_picture_format("a.png", NULL), DBV_PICTURE_PNG);
	CHECK_EQ_INT(dbv_tool_picture_format("a.PNG", NULL), DBV_PICTURE_PNG);
	CHECK_EQ_INT(dbv_tool_picture_format("d.x/a.svg", NULL), DBV_PICTURE_SVG);
	CHECK_EQ_INT(dbv_tool_picture_format("a.Svg", NULL), DBV_PICTURE_SVG);
	CHECK_EQ_INT(dbv_tool_picture_format("a.svg", "svg"), DBV_PICTURE_SVG);
	CHECK_EQ_INT(dbv_tool_picture_format("a.fig", "svg"), DBV_PICTURE_SVG);
	CHECK_EQ_INT(dbv_tool_picture_format(NULL, NULL), DBV_PICTURE_PNG);
	CHECK_EQ_INT(dbv_tool_picture_format("-", "svg"), DBV_PICTURE_SVG);
	CHECK_EQ_INT(dbv_tool_picture_format("dir/", NULL), DBV_PICTURE_PNG);
	CHECK_EQ_INT(dbv_tool_picture_format("dir/", "svg"), DBV_PICTURE_SVG);
}

static void test_exec(void)
{
	char *argv[] = {"dbv-no-such-tool", NULL};
	int p[2];
	CHECK_RC(dbv_tool_exec("dbv-no-such-tool-x", argv, -1, 0, "IN"), DBV_EIO);
	CHECK(!strcmp(dbv_errmsg(), "cannot run dbv-no-such-tool-x: No such file "
		      "or directory"));
	/* A pipe cannot be rewound: nothing runs. */
	CHECK(pipe(p) == 0);
	CHECK_RC(dbv_tool_exec("dbv-no-such-tool-x", argv, p[0], 0, "IN"), DBV_EIO);
	CHECK(!strncmp(dbv_errmsg(), "cannot rewind IN: ", 18));
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	dir = check_tmpdir();
	test_split_list();
	test_values();
	test_out_is_dir();
	test_rewindable();
	test_kinds();
	test_write_picture();
	test_picture_format();
	test_exec();
	return check_done();
}
