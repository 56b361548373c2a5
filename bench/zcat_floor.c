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
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define BUFSZ (256 * 1024)

static unsigned char inbuf[BUFSZ];
static unsigned char outbuf[BUFSZ];
static z_stream zs;
static unsigned long long total_out;
static unsigned long long nfiles;
static int failures;

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

static int
has_gz_suffix(const char *name)
{
	size_t		len = strlen(name);

	return len > 3 && strcmp(name + len - 3, ".gz") == 0;
}

static void
walk(const char *path)
{
	struct stat st;
	DIR		   *d;
	struct dirent *de;

	if (stat(path, &st) != 0)
	{
		fprintf(stderr, "zcat_floor: %s: %s\n", path, strerror(errno));
		failures++;
		return;
	}
	if (!S_ISDIR(st.st_mode))
	{
		if (inflate_file(path) != 0)
			failures++;
		return;
	}
	d = opendir(path);
	if (d == NULL)
	{
		fprintf(stderr, "zcat_floor: %s: %s\n", path, strerror(errno));
		failures++;
		return;
	}
	while ((de = readdir(d)) != NULL)
	{
		char	   *child;

		if (de->d_name[0] == '.')
			continue;
		if (asprintf(&child, "%s/%s", path, de->d_name) < 0)
			abort();
		if (de->d_type == DT_DIR)
			walk(child);
		else if (has_gz_suffix(de->d_name))
		{
			if (inflate_file(child) != 0)
				failures++;
		}
		else if (de->d_type == DT_UNKNOWN)
			walk(child);
		free(child);
	}
	closedir(d);
}

int
main(int argc, char **argv)
{
	struct timespec t0,
				t1;
	int			i;

	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, 15 + 32) != Z_OK)
	{
		fprintf(stderr, "zcat_floor: inflateInit2 failed\n");
		return 2;
	}
	if (argc < 2)
	{
		fprintf(stderr, "usage: zcat_floor FILE|DIR...  |  zcat_floor -0 < NUL-separated list\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (argc == 2 && strcmp(argv[1], "-0") == 0)
	{
		char	   *line = NULL;
		size_t		cap = 0;
		ssize_t		len;

		while ((len = getdelim(&line, &cap, '\0', stdin)) > 0)
		{
			if (line[len - 1] == '\0')
				len--;
			line[len] = '\0';
			if (len > 0 && inflate_file(line) != 0)
				failures++;
		}
		free(line);
	}
	else
		for (i = 1; i < argc; i++)
			walk(argv[i]);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	inflateEnd(&zs);
	printf("inflated_bytes=%llu files=%llu seconds=%.6f\n", total_out, nfiles,
		   (double) (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	return failures ? 1 : 0;
}
