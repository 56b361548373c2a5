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
#include <isa-l/igzip_lib.h>

#define BUFSZ (256 * 1024)

static unsigned char inbuf[BUFSZ];
static unsigned char outbuf[BUFSZ];
static struct inflate_state st;
static unsigned long long total_out;
static unsigned long long nfiles;
static int	failures;

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

static int
has_gz_suffix(const char *name)
{
	size_t		len = strlen(name);

	return len > 3 && strcmp(name + len - 3, ".gz") == 0;
}

static void
walk(const char *path)
{
	struct stat st_;
	DIR		   *d;
	struct dirent *de;

	if (stat(path, &st_) != 0)
	{
		fprintf(stderr, "isal_floor: %s: %s\n", path, strerror(errno));
		failures++;
		return;
	}
	if (!S_ISDIR(st_.st_mode))
	{
		if (inflate_file(path) != 0)
			failures++;
		return;
	}
	d = opendir(path);
	if (d == NULL)
	{
		fprintf(stderr, "isal_floor: %s: %s\n", path, strerror(errno));
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

	isal_inflate_init(&st);
	if (argc < 2)
	{
		fprintf(stderr, "usage: isal_floor FILE|DIR...  |  isal_floor -0 < NUL-separated list\n");
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
	printf("inflated_bytes=%llu files=%llu seconds=%.6f\n", total_out, nfiles,
		   (double) (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	return failures ? 1 : 0;
}
