/*
 * libdeflate_floor.c - the benchmark's floor for libdeflate, which trail
 * uses (when built with it) for a gzip member that is whole in its input
 * buffer and fits its output buffer: inflate every given file, discard the
 * output, print the total inflated bytes and the seconds it took.
 *
 *   libdeflate_floor FILE|DIR...      (directories are walked; *.gz files only)
 *   libdeflate_floor -0 < list        (NUL-separated file names on stdin)
 *
 * Each file is read whole and every member inflated with one call of
 * libdeflate_gzip_decompress_ex() (CRC and length checked), into a buffer
 * sized from the trailer: the floor of the whole-member path, for every
 * file, even those trail streams with ISA-L because they do not fit (none
 * in the benchmark's corpus but a few of its largest files).
 *
 * Output (one line): inflated_bytes=N files=N seconds=S
 *
 * Build: cc -O2 -o libdeflate_floor libdeflate_floor.c -ldeflate
 */
#include "floor_main.h"

#include <libdeflate.h>

static struct libdeflate_decompressor *decompressor;
static unsigned char *whole;	/* the file */
static size_t whole_cap;
static unsigned char *out;
static size_t out_cap;

static int
grow(unsigned char **buf, size_t *cap, size_t need)
{
	if (need <= *cap)
		return 0;
	*cap = need + need / 2 + BUFSZ;
	free(*buf);
	*buf = malloc(*cap);
	return *buf == NULL ? -1 : 0;
}

static int
inflate_file(const char *path)
{
	int			fd = open(path, O_RDONLY);
	struct stat st;
	size_t		len = 0,
				off = 0;

	if (fd < 0 || fstat(fd, &st) != 0)
	{
		fprintf(stderr, "libdeflate_floor: %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (grow(&whole, &whole_cap, (size_t) st.st_size) != 0)
		abort();
	while (len < (size_t) st.st_size)
	{
		ssize_t		n = read(fd, whole + len, (size_t) st.st_size - len);

		if (n <= 0)
			break;
		len += (size_t) n;
	}
	close(fd);
	while (off < len)
	{
		size_t		in_used,
					out_used;
		size_t		isize;
		enum libdeflate_result r;

		/* zero padding after the last member, as gzip(1) allows */
		if (whole[off] == 0)
		{
			off++;
			continue;
		}
		/* the last member's size: the size of a one-member file */
		isize = len - off >= 4 ? (size_t) whole[len - 4] | (size_t) whole[len - 3] << 8 |
			(size_t) whole[len - 2] << 16 | (size_t) whole[len - 1] << 24 : 0;
		if (grow(&out, &out_cap, isize + 1) != 0)
			abort();
		for (;;)
		{
			r = libdeflate_gzip_decompress_ex(decompressor, whole + off, len - off,
											  out, out_cap, &in_used, &out_used);
			if (r != LIBDEFLATE_INSUFFICIENT_SPACE)
				break;
			if (grow(&out, &out_cap, out_cap * 2) != 0)
				abort();
		}
		if (r != LIBDEFLATE_SUCCESS)
		{
			fprintf(stderr, "libdeflate_floor: %s: corrupt gzip data\n", path);
			return -1;
		}
		off += in_used;
		total_out += out_used;
	}
	nfiles++;
	return 0;
}

int
main(int argc, char **argv)
{
	int			rc;

	floor_name = "libdeflate_floor";
	decompressor = libdeflate_alloc_decompressor();
	if (decompressor == NULL)
		abort();
	rc = floor_run(argc, argv);
	libdeflate_free_decompressor(decompressor);
	return rc;
}
