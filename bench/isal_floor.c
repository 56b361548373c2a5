/*
 * isal_floor.c - the benchmark's floor for the inflater trail uses when it
 * is built with ISA-L (igzip): inflate every given file, discard the output,
 * print the total inflated bytes and the seconds it took.
 *
 *   isal_floor FILE|DIR...      (directories are walked; *.gz files only)
 *   isal_floor -0 < list        (NUL-separated file names on stdin)
 *
 * The same loop as zcat_floor.c (256 KB buffers, every gzip member, CRC
 * checked) with isal_inflate() in streaming mode instead of zlib's
 * inflate(): what byte_source.c does, without anything else.
 *
 * Output (one line): inflated_bytes=N files=N seconds=S
 *
 * Build: cc -O2 -o isal_floor isal_floor.c -lisal
 */
#include "floor_main.h"

#include <isa-l/igzip_lib.h>

static struct inflate_state st;

static void
member_start(void)
{
	isal_inflate_reset(&st);
	st.crc_flag = ISAL_GZIP;
}

static int
inflate_file(const char *path)
{
	int			fd = open(path, O_RDONLY);
	ssize_t		n;
	int			ret;
	int			in_member = 0;

	if (fd < 0)
	{
		fprintf(stderr, "isal_floor: %s: %s\n", path, strerror(errno));
		return -1;
	}
	st.avail_in = 0;
	for (;;)
	{
		if (st.avail_in == 0)
		{
			n = read(fd, inbuf, BUFSZ);
			if (n < 0)
			{
				fprintf(stderr, "isal_floor: %s: %s\n", path, strerror(errno));
				close(fd);
				return -1;
			}
			if (n == 0)
				break;
			st.next_in = inbuf;
			st.avail_in = (uint32_t) n;
		}
		if (!in_member)
		{
			/* zero padding after the last member, as gzip(1) allows */
			while (st.avail_in > 0 && *st.next_in == 0)
			{
				st.next_in++;
				st.avail_in--;
			}
			if (st.avail_in == 0)
				continue;
			{
				/* keep the input across the reset */
				uint8_t    *next_in = st.next_in;
				uint32_t	avail_in = st.avail_in;

				member_start();
				st.next_in = next_in;
				st.avail_in = avail_in;
			}
			in_member = 1;
		}
		do
		{
			st.next_out = outbuf;
			st.avail_out = BUFSZ;
			ret = isal_inflate(&st);
			if (ret != ISAL_DECOMP_OK)
			{
				fprintf(stderr, "isal_floor: %s: isal_inflate: %d\n", path, ret);
				close(fd);
				return -1;
			}
			total_out += BUFSZ - st.avail_out;
			if (st.block_state == ISAL_BLOCK_FINISH)
			{
				in_member = 0;	/* another gzip member may follow */
				break;
			}
		} while (st.avail_out == 0);
	}
	close(fd);
	if (in_member)
	{
		fprintf(stderr, "isal_floor: %s: truncated\n", path);
		return -1;
	}
	nfiles++;
	return 0;
}

int
main(int argc, char **argv)
{
	floor_name = "isal_floor";
	isal_inflate_init(&st);
	return floor_run(argc, argv);
}
