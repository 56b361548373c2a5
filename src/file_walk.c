/*-------------------------------------------------------------------------
 *
 * file_walk.c
 *	  The files under a location, in path order.
 *
 * Symbolic links are followed (people link date partitions together); a
 * link back to a directory being walked is a loop and is reported, not
 * followed.  Hidden entries (names starting with '.') are passed over:
 * sync tools keep their temporary files there.
 *
 * A tree can hold hundreds of thousands of files, so regular files are not
 * stat()ed unless their sizes are asked for: the directory entry's type
 * says what they are.
 *
 * A folder test (trail_walk_folders) is asked about each directory whose
 * path is a prefix of the CloudTrail layout (s3_layout.c says what it
 * names) before it is opened: what it rules out is not listed at all, so
 * that the cost of a walk follows what a query can need, not the tree.
 *
 * Problems (a directory that cannot be opened, a loop, a location that is
 * not there) are not raised here: they are returned as a list of
 * TrailWalkProblem, and the caller's policy (scan.c) raises or counts them.
 *
 *-------------------------------------------------------------------------
 */
#include "trail.h"

#include <sys/stat.h>

#include "miscadmin.h"
#include "storage/fd.h"

typedef struct Ancestor
{
	dev_t		dev;
	ino_t		ino;
	struct Ancestor *up;
} Ancestor;

static TrailFile *
make_file(char *path, int64 size)
{
	TrailFile  *f = palloc(sizeof(TrailFile));

	f->path = path;
	f->size = size;
	trail_layout_parse(path, &f->layout);
	return f;
}

/* add a regular file to the list, if the walk wants it */
static List *
add_file(List *files, int flags, char *path, int64 size)
{
	TrailFile  *f = make_file(path, size);

	if ((flags & TRAIL_WALK_EVENT_FILES) && !trail_walk_wants(&f->layout))
	{
		pfree(f);
		return files;
	}
	return lappend(files, f);
}

/* a problem with path, appended to *problems */
static TrailError *
add_problem(List **problems, const char *path, bool fatal)
{
	TrailWalkProblem *p = palloc0(sizeof(TrailWalkProblem));

	p->path = path ? pstrdup(path) : NULL;
	p->fatal = fatal;
	trail_error_clear(&p->err);
	*problems = lappend(*problems, p);
	return &p->err;
}

/* a file error: the message is completed with the path and %m */
static void
file_problem(List **problems, const char *path, const char *what,
			 int saved_errno, bool fatal)
{
	TrailError *err = add_problem(problems, path, fatal);

	err->saved_errno = saved_errno;
	trail_error_set(err, 0, "%s", what);
}

typedef struct Entry
{
	char	   *name;
	unsigned char type;			/* d_type */
} Entry;

static int
compare_entries(const void *a, const void *b)
{
	return strcmp(((const Entry *) a)->name, ((const Entry *) b)->name);
}

/* what a walk carries down */
typedef struct Walk
{
	int			flags;
	TrailFolderTestFn test;
	void	   *arg;
	TrailWalkStats *stats;
	List	  **problems;
} Walk;

static List *
walk_directory(const char *dirpath, Walk *w, Ancestor *ancestors,
			   List *files)
{
	int			flags = w->flags;
	List	  **problems = w->problems;
	DIR		   *dir;
	struct dirent *de;
	Entry	   *entries;
	int			nentries = 0;
	int			maxentries = 64;
	int			i;

	CHECK_FOR_INTERRUPTS();

	dir = AllocateDir(dirpath);
	if (dir == NULL)
	{
		file_problem(problems, dirpath, "could not open directory", errno,
					 false);
		return files;
	}
	w->stats->folders_walked++;
	entries = palloc(maxentries * sizeof(Entry));
	/* readdir() itself, not ReadDir(): a read error is returned, not raised */
	errno = 0;
	while ((de = readdir(dir)) != NULL)
	{
		if (de->d_name[0] == '.')
			continue;
		if (nentries >= maxentries)
		{
			maxentries *= 2;
			entries = repalloc(entries, maxentries * sizeof(Entry));
		}
		entries[nentries].name = pstrdup(de->d_name);
		entries[nentries].type = de->d_type;
		nentries++;
		errno = 0;
	}
	if (errno != 0)
		file_problem(problems, dirpath, "could not read directory", errno,
					 false);
	FreeDir(dir);
	qsort(entries, nentries, sizeof(Entry), compare_entries);

	for (i = 0; i < nentries; i++)
	{
		char	   *path = psprintf("%s/%s", dirpath, entries[i].name);
		struct stat st;

		CHECK_FOR_INTERRUPTS();

		/* a plain file: no need to stat it unless its size is wanted */
		if (entries[i].type == DT_REG && !(flags & TRAIL_WALK_SIZES))
		{
			files = add_file(files, flags, path, -1);
			continue;
		}
		if (stat(path, &st) != 0)
		{
			file_problem(problems, path, "could not stat file", errno, false);
			continue;
		}
		if (S_ISDIR(st.st_mode))
		{
			Ancestor	self;
			Ancestor   *a;

			if (!(flags & TRAIL_WALK_RECURSIVE))
				continue;
			if (w->test != NULL)
			{
				TrailFolder folder;

				if (trail_folder_parse(path, &folder) &&
					!w->test(w->arg, &folder))
				{
					w->stats->folders_skipped++;
					continue;
				}
			}
			for (a = ancestors; a != NULL; a = a->up)
			{
				if (a->dev == st.st_dev && a->ino == st.st_ino)
					break;
			}
			if (a != NULL)
			{
				TrailError *err = add_problem(problems, NULL, false);

				trail_error_set(err, ERRCODE_INVALID_PARAMETER_VALUE,
								"directory \"%s\" is a symbolic link loop", path);
				trail_error_detail(err, "It leads back to a directory that contains it.");
				continue;
			}
			self.dev = st.st_dev;
			self.ino = st.st_ino;
			self.up = ancestors;
			files = walk_directory(path, w, &self, files);
		}
		else if (S_ISREG(st.st_mode))
			files = add_file(files, flags, path, (int64) st.st_size);
	}
	return files;
}

/*
 * The regular files at location: the file itself, or the files in the
 * directory (and below it with TRAIL_WALK_RECURSIVE).  With
 * TRAIL_WALK_EVENT_FILES, only the files a directory scan reads (see
 * trail_walk_wants); with TRAIL_WALK_SIZES every file's size, else -1 for
 * files in directories.  Problems are appended to *problems: a location
 * that is not there, or is neither a file nor a directory, is a fatal one
 * (and no file is returned).
 */
List *
trail_walk(const char *location, int flags, bool *is_directory,
		   List **problems)
{
	TrailWalkStats stats;

	return trail_walk_folders(location, flags, NULL, NULL, &stats,
							  is_directory, problems);
}

/*
 * trail_walk, not opening the directories below location that test (when
 * not NULL) rules out.  stats gets what the walk did.
 */
List *
trail_walk_folders(const char *location, int flags, TrailFolderTestFn test,
				   void *arg, TrailWalkStats *stats, bool *is_directory,
				   List **problems)
{
	struct stat st;
	char	   *path;
	int			len;
	Walk		w;

	memset(stats, 0, sizeof(TrailWalkStats));
	w.flags = flags;
	w.test = test;
	w.arg = arg;
	w.stats = stats;
	w.problems = problems;

	*is_directory = false;
	if (stat(location, &st) != 0)
	{
		file_problem(problems, location, "could not stat file", errno, true);
		return NIL;
	}

	/* a trailing slash would double up in the paths we build */
	path = pstrdup(location);
	len = strlen(path);
	while (len > 1 && path[len - 1] == '/')
		path[--len] = '\0';

	if (S_ISDIR(st.st_mode))
	{
		Ancestor	self;

		*is_directory = true;
		self.dev = st.st_dev;
		self.ino = st.st_ino;
		self.up = NULL;
		return walk_directory(path, &w, &self, NIL);
	}

	if (!S_ISREG(st.st_mode))
	{
		TrailError *err = add_problem(problems, NULL, true);

		trail_error_set(err, ERRCODE_WRONG_OBJECT_TYPE,
						"\"%s\" is not a regular file or a directory", location);
		return NIL;
	}
	return list_make1(make_file(path, (int64) st.st_size));
}

/*
 * Does a directory scan read this file?  Digest files and aggregated
 * summaries hold no events; everything else is opened and sniffed.
 */
bool
trail_walk_wants(const TrailLayout *layout)
{
	return layout->kind != TRAIL_KIND_DIGEST &&
		layout->kind != TRAIL_KIND_AGGREGATED;
}
