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
 * Listings are kept across statements (trail.listing_cache_size): a
 * directory whose modification and change times are what they were when it
 * was listed holds the same entries, since adding, removing or renaming an
 * entry changes them.  Only listings of directories last changed at least
 * LISTING_SETTLED_SECS before they were read are kept, so that a change in
 * the same tick of a coarse file system clock, or a little behind ours, is
 * never missed (git's "racy" rule); the folders a sync is writing to are
 * read again each time.  The parent's stat() of a subdirectory (which the
 * walk makes anyway) is the check, so a kept listing costs no system call.
 *
 * Problems (a directory that cannot be opened, a loop, a location that is
 * not there) are not raised here: they are returned as a list of
 * TrailWalkProblem, and the caller's policy (scan.c) raises or counts them.
 *
 *-------------------------------------------------------------------------
 */
#include "trail.h"

#include <sys/stat.h>
#include <time.h>

#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

/* how long before it is read a directory must have last changed to be kept */
#define LISTING_SETTLED_SECS 2

int			trail_listing_cache_size = 16 * 1024;	/* kB */

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

/* a kept listing: the directory's sorted entries, and its times then */
typedef struct ListingKey
{
	dev_t		dev;
	ino_t		ino;
} ListingKey;

typedef struct Listing
{
	ListingKey	key;			/* hash key: must be first */
	struct timespec mtime;
	struct timespec ctime;
	int			nentries;
	Entry	   *entries;
} Listing;

static HTAB *listings;
static MemoryContext listings_cxt;
static Size listings_bytes;

static bool
same_time(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

/*
 * Forget every kept listing when they have outgrown the setting.  Only
 * called before a walk starts: a walk reads the entries of kept listings
 * in place.
 */
static void
trim_listings(void)
{
	if (listings != NULL && trail_listing_cache_size > 0 &&
		listings_bytes <= (Size) trail_listing_cache_size * 1024)
		return;
	if (listings_cxt != NULL)
		MemoryContextDelete(listings_cxt);
	listings_cxt = NULL;
	listings = NULL;
	listings_bytes = 0;
	if (trail_listing_cache_size == 0)
		return;
	listings_cxt = AllocSetContextCreate(TopMemoryContext,
										 "trail directory listings",
										 ALLOCSET_DEFAULT_SIZES);
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(ListingKey);
		ctl.entrysize = sizeof(Listing);
		ctl.hcxt = listings_cxt;
		listings = hash_create("trail directory listings", 256, &ctl,
							   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
}

/* the kept listing of the directory st describes, if it still holds */
static Listing *
kept_listing(const struct stat *st)
{
	ListingKey	key;
	Listing    *l;

	if (listings == NULL)
		return NULL;
	memset(&key, 0, sizeof(key));
	key.dev = st->st_dev;
	key.ino = st->st_ino;
	l = hash_search(listings, &key, HASH_FIND, NULL);
	if (l == NULL || !same_time(&l->mtime, &st->st_mtim) ||
		!same_time(&l->ctime, &st->st_ctim))
		return NULL;
	return l;
}

/*
 * Keep a listing just read, when the directory had settled before
 * started (the time its reading began).
 */
static void
keep_listing(const struct stat *st, time_t started,
			 const Entry *entries, int nentries)
{
	ListingKey	key;
	Listing    *l;
	Size		names = 0;
	Entry	   *copy;
	char	   *blob;
	int			i;

	if (listings == NULL ||
		st->st_mtim.tv_sec > started - LISTING_SETTLED_SECS ||
		st->st_ctim.tv_sec > started - LISTING_SETTLED_SECS)
		return;
	for (i = 0; i < nentries; i++)
		names += strlen(entries[i].name) + 1;

	copy = MemoryContextAlloc(listings_cxt, Max(nentries, 1) * sizeof(Entry));
	blob = MemoryContextAlloc(listings_cxt, Max(names, 1));
	for (i = 0; i < nentries; i++)
	{
		size_t		len = strlen(entries[i].name) + 1;

		memcpy(blob, entries[i].name, len);
		copy[i].name = blob;
		copy[i].type = entries[i].type;
		blob += len;
	}

	/* a stale listing it replaces stays counted until the next trim */
	memset(&key, 0, sizeof(key));
	key.dev = st->st_dev;
	key.ino = st->st_ino;
	l = hash_search(listings, &key, HASH_ENTER, NULL);
	l->mtime = st->st_mtim;
	l->ctime = st->st_ctim;
	l->nentries = nentries;
	l->entries = copy;
	listings_bytes += sizeof(Listing) + nentries * sizeof(Entry) + names;
}

/*
 * Read a directory's entries (not the hidden ones), sorted.  False on an
 * error (a problem is added).
 */
static bool
read_listing(const char *dirpath, const struct stat *st, Entry **entriesp,
			 int *nentriesp, List **problems)
{
	DIR		   *dir;
	struct dirent *de;
	Entry	   *entries;
	int			nentries = 0;
	int			maxentries = 64;
	time_t		started = time(NULL);
	bool		ok = true;

	dir = AllocateDir(dirpath);
	if (dir == NULL)
	{
		file_problem(problems, dirpath, "could not open directory", errno,
					 false);
		return false;
	}
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
	{
		file_problem(problems, dirpath, "could not read directory", errno,
					 false);
		ok = false;
	}
	FreeDir(dir);
	qsort(entries, nentries, sizeof(Entry), compare_entries);
	if (ok)
		keep_listing(st, started, entries, nentries);
	*entriesp = entries;
	*nentriesp = nentries;
	return true;
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
walk_directory(const char *dirpath, const struct stat *dirst, Walk *w,
			   Ancestor *ancestors, List *files)
{
	int			flags = w->flags;
	List	  **problems = w->problems;
	Listing    *kept;
	Entry	   *entries;
	int			nentries;
	int			i;

	CHECK_FOR_INTERRUPTS();

	kept = kept_listing(dirst);
	if (kept != NULL)
	{
		entries = kept->entries;
		nentries = kept->nentries;
		w->stats->folders_kept++;
	}
	else if (!read_listing(dirpath, dirst, &entries, &nentries, problems))
		return files;
	w->stats->folders_walked++;

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
			files = walk_directory(path, &st, w, &self, files);
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
	trim_listings();
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
		List	   *files;

		*is_directory = true;
		self.dev = st.st_dev;
		self.ino = st.st_ino;
		self.up = NULL;
		files = walk_directory(path, &st, &w, &self, NIL);
		elog(DEBUG1, "trail: walked %d directories under \"%s\", %d of them from kept listings",
			 stats->folders_walked, path, stats->folders_kept);
		return files;
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
