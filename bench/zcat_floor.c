/*
 * zcat_floor.c - the benchmark's floor: inflate every given file, discard
 * the output, print the total inflated bytes and the seconds it took.
 *
 *   zcat_floor FILE|DIR...      (directories are walked; *.gz files only)
 *   zcat_floor -0 < list        (NUL-separated file names on stdin)
 *
 * Reads with 256 KB buffers, inflates with windowBits 15+32 (gzip or zlib
 * header detected), loops over concatenated gzip members, and does nothing
 * else: no JSON, no allocation per file.  Anything that reads CloudTrail
 * files cannot be faster than this on one core.
 *
 * Output (one line): inflated_bytes=N files=N seconds=S
 *
 * Build: cc -O2 -o zcat_floor zcat_floor.c -lz
 */
#include "floor_main.h"

#include <zlib.h>

static z_stream zs;

static int
inflate_file(const char *path)
{
	int			fd = open(path, O_RDONLY);
	int			ret = Z_OK;
	ssize_t		n;

	if (fd < 0)
	{
		fprintf(stderr, "zcat_floor: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (inflateReset2(&zs, 15 + 32) != Z_OK)
	{
		close(fd);
		return -1;
	}
	zs.avail_in = 0;
	for (;;)
	{
		if (zs.avail_in == 0)
		{
			n = read(fd, inbuf, BUFSZ);
			if (n < 0)
			{
				fprintf(stderr, "zcat_floor: %s: %s\n", path, strerror(errno));
				close(fd);
				return -1;
			}
			if (n == 0)
				break;
			zs.next_in = inbuf;
			zs.avail_in = (uInt) n;
		}
		do
		{
			zs.next_out = outbuf;
			zs.avail_out = BUFSZ;
			ret = inflate(&zs, Z_NO_FLUSH);
			if (ret != Z_OK && ret != Z_STREAM_END && ret != Z_BUF_ERROR)
			{
				fprintf(stderr, "zcat_floor: %s: inflate: %s\n", path,
						zs.msg ? zs.msg : "error");
				close(fd);
				return -1;
			}
			total_out += BUFSZ - zs.avail_out;
			if (ret == Z_STREAM_END)
			{
				/* another gzip member may follow */
				if (inflateReset2(&zs, 15 + 32) != Z_OK)
				{
					close(fd);
					return -1;
				}
				if (zs.avail_in == 0)
					break;
			}
		} while (zs.avail_out == 0 || (ret == Z_STREAM_END && zs.avail_in > 0));
	}
	close(fd);
	nfiles++;
	return 0;
}

int
main(int argc, char **argv)
{
	int			rc;

	floor_name = "zcat_floor";
	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, 15 + 32) != Z_OK)
	{
		fprintf(stderr, "zcat_floor: inflateInit2 failed\n");
		return 2;
	}
	rc = floor_run(argc, argv);
	inflateEnd(&zs);
	return rc;
}
