/*
 * floor_main.h - what the benchmark's floors (zcat_floor.c with zlib,
 * isal_floor.c with ISA-L, libdeflate_floor.c with libdeflate) share: the walk of the files given, the
 * argument handling, the timing and the report.  Each floor defines
 * floor_name and inflate_file(), which inflates one file, discards the
 * bytes and adds to total_out and nfiles, and calls floor_run() from main()
 * between setting up and tearing down its inflater.
 */
#ifndef FLOOR_MAIN_H
#define FLOOR_MAIN_H

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

#define BUFSZ (256 * 1024)

/* the streaming floors' buffers (libdeflate_floor reads whole files) */
static unsigned char inbuf[BUFSZ] __attribute__((unused));
static unsigned char outbuf[BUFSZ] __attribute__((unused));
static unsigned long long total_out;
static unsigned long long nfiles;
static int	failures;

static const char *floor_name;
static int	inflate_file(const char *path);

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
		fprintf(stderr, "%s: %s: %s\n", floor_name, path, strerror(errno));
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
		fprintf(stderr, "%s: %s: %s\n", floor_name, path, strerror(errno));
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

/* inflate the files argv names (or stdin lists) and print what it took */
static int
floor_run(int argc, char **argv)
{
	struct timespec t0,
				t1;
	int			i;

	if (argc < 2)
	{
		fprintf(stderr, "usage: %s FILE|DIR...  |  %s -0 < NUL-separated list\n",
				floor_name, floor_name);
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

#endif							/* FLOOR_MAIN_H */
