# t/001_corpus.pl — read the shared corpus of real CloudTrail files with
# trail.read, one file at a time and then as one directory tree.
#
# The corpus (shared/corpus/files, beside the repository) was collected from
# public repositories; nobody on this project wrote it.  For every file:
#   - a file holding CloudTrail events reads without error, with as many rows
#     as the file has records: "SELECT count(*)" (which decodes no column)
#     and again with every column decoded ("count(e::text)");
#   - a deliberately broken file fails, with an error that names the file;
#   - anything else (LICENSE, .yaml, .zip) fails as "not a CloudTrail log".
# Then the whole tree reads in directory mode with on_error => 'skip'.
#
# Where is the corpus?  $TRAIL_CORPUS_DIR (scripts/test copies it there), else
# $TRAIL_REPO_ROOT/../shared/corpus/files, else ../shared/corpus/files from
# the repository holding this file.  Absent: the whole test is skipped.
use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(basename dirname);
use File::Find;
use IO::Uncompress::Gunzip qw(gunzip $GunzipError);
use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::RecursiveCopy;
use PostgreSQL::Test::Utils;
use Test::More;

# ---------------------------------------------------------------------------
# Expectations.  Paths are relative to the corpus directory.  Adjust here.

# Files that hold events but are broken on purpose: reading them with every
# column decoded must raise an error that names the file.
my %expect_error = (
	# invalid JSON: a '{' where an object key belongs (line 37)
	'aws-cloudtrail-processing-library/src/test/resources/SerializerTestFileBadJsonFormat.json'
	  => 'invalid JSON',
	# valid JSON, but record 4 has "eventTime": "ThisIsAWrongEventTime"
	'aws-cloudtrail-processing-library/src/test/resources/SerializerTestFileMissField.json'
	  => 'a record with an invalid eventTime',
);
# Not on that list, because they are valid JSON whose records all convert
# (upstream calls them broken for its own reasons), so they read like any
# other event file:
#   zalando-fullstop/.../fullstop-application-lifecycle-plugin/src/test/resources/record-broken.json
#     one RunInstances record, broken for fullstop only (no responseElements)
#   aws-cloudtrail-processing-library/src/test/resources/SerializerTestFileBadFieldName.json
#   aws-cloudtrail-processing-library/src/test/resources/SerializerTestFileNewFieldName.json
#     2 records; the first has only renamed keys ("eventVersionWrong", ...),
#     so it is a row of NULLs (and its raw JSON)

# Row counts that differ on purpose from the number of records in the file
# (path => expected count).  Empty: every record is one row.
my %expect_count = ();

# A file is an event file when its (gunzipped) text has a CloudTrail key;
# these patterns name the non-event files that must be refused.
my @not_trail = (qr{(^|/)LICENSE[^/]*$}, qr{\.ya?ml$}, qr{\.zip$});

# Directory mode may pick files by name; these are surely picked, so their
# rows are the least a directory scan of the corpus must return.
my $dir_mode_reads = qr{\.json(?:\.gz)?$};

# ---------------------------------------------------------------------------

my $repo = abs_path(dirname(__FILE__) . '/..');
my @candidates = grep { defined } (
	$ENV{TRAIL_CORPUS_DIR},
	(defined $ENV{TRAIL_REPO_ROOT}
		? "$ENV{TRAIL_REPO_ROOT}/../shared/corpus/files" : undef),
	"$repo/../shared/corpus/files");
my ($source) = grep { -d $_ } @candidates;
plan skip_all => 'no corpus (looked in: ' . join(', ', @candidates) . ')'
  unless defined $source;

# The server runs as this user; give it a private copy it surely can read.
my $corpus = PostgreSQL::Test::Utils::tempdir() . '/corpus';
PostgreSQL::Test::RecursiveCopy::copypath($source, $corpus);
note "corpus: $source (copied to $corpus)";

my @files;
find(
	{
		no_chdir => 1,
		wanted => sub { push @files, substr($_, length($corpus) + 1) if -f $_ }
	},
	$corpus);
@files = sort @files;

# The file's bytes, gunzipped when it starts with the gzip magic.
sub content
{
	my ($path) = @_;
	my $raw = slurp_file($path);
	if (substr($raw, 0, 2) eq "\x1f\x8b")
	{
		my $out;
		gunzip(\$raw => \$out, MultiStream => 1)
		  or die "gunzip $path: $GunzipError";
		return $out;
	}
	return $raw;
}

# Number of records in an event file: the "Records" array, a top-level array,
# one bare record, or one record per line.  undef when it is not valid JSON.
sub record_count
{
	my ($text) = @_;
	my $json = JSON::PP->new->utf8;
	my $doc = eval { $json->decode($text) };
	if (defined $doc)
	{
		return scalar @{ $doc->{Records} }
		  if ref $doc eq 'HASH' && ref $doc->{Records} eq 'ARRAY';
		return scalar @$doc if ref $doc eq 'ARRAY';
		return 1 if ref $doc eq 'HASH';
		return undef;
	}
	my $n = 0;
	for my $line (split /\n/, $text)
	{
		next unless $line =~ /\S/;
		return undef unless eval { $json->decode($line); 1 };
		$n++;
	}
	return $n || undef;
}

my $node = PostgreSQL::Test::Cluster->new('corpus');
$node->init;
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION trail');

# Run one statement with :'path' set; returns (ok, stdout, stderr).
sub query
{
	my ($path, $sql) = @_;
	my ($stdout, $stderr);
	my $ret = $node->psql(
		'postgres', $sql,
		stdout => \$stdout,
		stderr => \$stderr,
		extra_params => [ '-v', "path=$path" ]);
	return ($ret == 0, $stdout, $stderr);
}
my $count_sql = "SELECT count(*) FROM trail.read(:'path');";
my $decode_sql = "SELECT count(e::text) FROM trail.read(:'path') AS e;";

my ($event_files, $dir_rows_expected) = (0, 0);
for my $rel (@files)
{
	my $path = "$corpus/$rel";
	my $name = basename($rel);
	my $text = content($path);
	my $is_event = $text =~ /"event(?:Version|Name|ID|Source|Time)"\s*:/;
	my $refused = grep { $rel =~ $_ } @not_trail;

	if (exists $expect_error{$rel})
	{
		my ($ok, $count, $err) = query($path, $decode_sql);
		ok(!$ok, "$rel: fails ($expect_error{$rel})")
		  or diag "read $count rows";
		like($err, qr/\Q$name\E/, "$rel: the error names the file")
		  or diag "got: $err";
	}
	elsif ($is_event && !$refused)
	{
		my $want = $expect_count{$rel} // record_count($text);
		$event_files++;
		$dir_rows_expected += $want // 0 if $rel =~ $dir_mode_reads;

		my ($ok, $count, $err) = query($path, $count_sql);
		if (ok($ok, "$rel: reads without error"))
		{
			cmp_ok($count, '>', 0, "$rel: has rows");
			is($count, $want, "$rel: one row per record ($want)")
			  if defined $want;
		}
		else
		{
			diag "error: $err";
		}
		my ($dok, $dcount, $derr) = query($path, $decode_sql);
		ok($dok && $dcount == ($count // -1),
			"$rel: every column of every row decodes")
		  or diag $dok ? "decoded $dcount rows of $count" : "error: $derr";
	}
	else
	{
		my ($ok, $count, $err) = query($path, $count_sql);
		ok(!$ok, "$rel: not a CloudTrail file, refused")
		  or diag "read $count rows";
		like($err, qr/ERROR/, "$rel: raises an ERROR") if !$ok;
	}
}
cmp_ok($event_files, '>', 0, "the corpus holds event files ($event_files)");

# Directory mode over the whole tree: non-event and broken files are passed
# over; with on_error => 'skip' the scan ends with one WARNING.
my ($ok, $count, $err) =
  query($corpus, "SELECT count(*) FROM trail.read(:'path', on_error => 'skip');");
ok($ok, "directory mode with on_error => 'skip' reads the whole corpus")
  or diag "error: $err";
cmp_ok($count // 0, '>=', $dir_rows_expected,
	"directory mode reads at least the $dir_rows_expected rows of the *.json and *.json.gz event files");
my $warnings = () = ($err // '') =~ /WARNING:/g;
is($warnings, 1, 'directory mode ends with one WARNING') or diag $err;

# trail writes jsonb's binary format itself (jsonb_build.c): every jsonb
# column of every real record must be the datum PostgreSQL's own input
# makes of the field's text -- equal, with the same text and the same size
# (the size catches a layout that compares equal but is not jsonb_in's).
my @jsonb_columns = (
	[ user_identity => "raw->'userIdentity'" ],
	[ request_parameters => "raw->'requestParameters'" ],
	[ response_elements => "raw->'responseElements'" ],
	[ additional_event_data => "raw->'additionalEventData'" ],
	[ service_event_details => "raw->'serviceEventDetails'" ],
	[ resources => "raw->'resources'" ],
	[ tls_details => "raw->'tlsDetails'" ],
	[ addendum => "raw->'addendum'" ],
	[ edge_device_details => "raw->'edgeDeviceDetails'" ],
	[ insight_details => "raw->'insightDetails'" ],
	[ on_behalf_of => "raw->'userIdentity'->'onBehalfOf'" ],
	[ in_scope_of => "raw->'userIdentity'->'inScopeOf'" ],
	[ event_context => "raw->'eventContext'" ]);
my $differs = join("\n\t   OR ",
	map {
		my ($c, $f) = @$_;
		# JSON null is SQL NULL in a column
		$f = "nullif(($f)::text, 'null')";
		"($f)::text::jsonb IS DISTINCT FROM $c"
		  . " OR ($f)::text::jsonb::text IS DISTINCT FROM $c\::text"
		  . " OR pg_column_size(($f)::text::jsonb) IS DISTINCT FROM pg_column_size($c)"
	} @jsonb_columns);
my $nonnull = join(' + ', map { "count($_->[0])" } @jsonb_columns);
($ok, my $out, $err) = query($corpus, qq{
	SELECT count(*) FILTER (WHERE $differs), $nonnull
	FROM trail.read(:'path', on_error => 'skip');});
my ($nbad, $nvalues) = split /\|/, ($out // '');
ok($ok && defined $nbad && $nbad == 0,
	'every jsonb column of the corpus is the jsonb of its text, byte for byte')
  or diag $ok ? "$nbad records differ" : "error: $err";
cmp_ok($nvalues // 0, '>', 1000, "and there are many of them ($nvalues)");

# The decoder walks nested objects and arrays of a record the scanner has
# validated without validating them again (json_scan.c): whitespace at
# every place JSON allows it must not change a value.  Every plain event
# file is written again with blanks around each of { } [ ] : , (outside
# strings; the tokens stay as they are), and the two trees must give the
# same rows: every column but raw and source_file, and field paths into
# nested objects and array elements.
my $spaced = PostgreSQL::Test::Utils::tempdir();
my $plain = PostgreSQL::Test::Utils::tempdir();
my $nspaced = 0;

sub write_file
{
	my ($path, $text) = @_;
	open my $fh, '>', $path or die "$path: $!";
	print $fh $text;
	close $fh;
}
for my $rel (@files)
{
	next unless $rel =~ /\.json$/ && !exists $expect_error{$rel};
	my $text = slurp_file("$corpus/$rel");
	next unless $text =~ /"event(?:Version|Name|ID|Source|Time)"\s*:/;
	(my $flat = $rel) =~ s{/}{__}g;
	write_file("$plain/$flat", $text);
	$text =~ s/("(?:[^"\\]|\\.)*")|([{}\[\]:,])/defined $1 ? $1 : " \n\t$2\r\n "/ge;
	write_file("$spaced/$flat", $text);
	$nspaced++;
}
my $columns = $node->safe_psql('postgres', q{
	SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum)
	FROM pg_attribute
	WHERE attrelid = 'trail.event'::regclass AND attnum > 0 AND NOT attisdropped
	  AND attname NOT IN ('raw', 'source_file')});
my $fields = join(', ',
	"a text OPTIONS (field 'resources[0].ARN')",
	"b jsonb OPTIONS (field 'resources[1]')",
	"c jsonb OPTIONS (field 'userIdentity.sessionContext.attributes')",
	"d text OPTIONS (field 'userIdentity.sessionContext.sessionIssuer.userName')",
	"e jsonb OPTIONS (field 'requestParameters.instancesSet.items[0]')",
	"f text OPTIONS (field 'tlsDetails.tlsVersion')",
	"source_file text");
$node->safe_psql('postgres', qq{
	CREATE SERVER corpus_files FOREIGN DATA WRAPPER trail_fdw;
	CREATE FOREIGN TABLE plain_paths ($fields) SERVER corpus_files
	  OPTIONS (location '$plain');
	CREATE FOREIGN TABLE spaced_paths ($fields) SERVER corpus_files
	  OPTIONS (location '$spaced');});
my %rows;
for my $tree ([ plain => $plain ], [ spaced => $spaced ])
{
	my ($name, $path) = @$tree;
	$rows{$name} = $node->safe_psql('postgres', qq{
		SELECT count(*), md5(string_agg(row($columns)::text, '|'
		         ORDER BY reverse(split_part(reverse(source_file), '/', 1)), record_index))
		FROM trail.read('$path');
		SELECT count(a), count(b), count(c), count(d), count(e), count(f),
		       md5(string_agg(row(a, b, c, d, e, f)::text, '|'
		         ORDER BY reverse(split_part(reverse(source_file), '/', 1)), a, b::text, c::text, d, e::text, f))
		FROM ${name}_paths;});
}
cmp_ok($nspaced, '>', 10, "plain event files written with blanks everywhere ($nspaced)");
is($rows{spaced}, $rows{plain},
	'blanks at every place JSON allows them change no column and no field path')
  or diag "plain:\n$rows{plain}\nspaced:\n$rows{spaced}";
note "rows and field paths: $rows{plain}";

$node->stop;
done_testing();
