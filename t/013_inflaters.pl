# t/013_inflaters.pl — the fast inflaters (libdeflate for whole members and
# ISA-L streaming, when the build has them) and zlib give the same bytes and
# the same errors.
#
# trail.debug_inflater = 'zlib' makes the byte source inflate with zlib in a
# build that has faster libraries; 'fast' (the default) uses them,
# 'streaming' ISA-L alone (no whole-member shortcut).
# For every file of the shared corpus and of the fixtures, and for a few
# generated files (many members of odd sizes, zero padding, gzip inside
# gzip, a member split across every input refill), the md5 of the records'
# bytes in order and the row count — or the error, SQLSTATE, message,
# detail and context — must be the same with both; the fast inflater also at
# tiny reads and inputs (trail.debug_read_size, trail.debug_inflate_chunk).
# Then hundreds of damaged gzip inputs give the same result with both.
#
# In a build without a fast library both settings are zlib and the test
# still runs (and passes trivially on the comparisons): CI runs it in both
# builds.
use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Find;
use Compress::Zlib qw(crc32);
use IO::Compress::Gzip qw(gzip $GzipError);
use IO::Compress::RawDeflate qw(rawdeflate $RawDeflateError);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $repo = abs_path(dirname(__FILE__) . '/..');
my $fixtures = "$repo/test/fixtures";

my $node = PostgreSQL::Test::Cluster->new('inflaters');
$node->init;
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION trail');

my $inflater = $node->safe_psql('postgres', "LOAD 'trail'; SHOW trail.inflater");
note "this build inflates with $inflater";
like($inflater, qr/^(libdeflate [0-9.]+ \+ )?(isa-l|zlib) [0-9.]+$/,
	'trail.inflater names the libraries');
is($node->safe_psql('postgres',
		"LOAD 'trail'; SELECT count(*) FROM pg_settings WHERE name LIKE 'trail.%inflater%'"),
	'0', 'the inflater settings are hidden');

# One row per file: the file, then its signature.
$node->safe_psql('postgres', q{
CREATE FUNCTION sig(path text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	r text;
	st text;
	msg text;
	det text;
	ctx text;
BEGIN
	SELECT count(*) || ' ' || coalesce(md5(string_agg(raw::text, E'\n'
			ORDER BY record_index)), '-')
	  INTO r FROM trail.read(path);
	RETURN r;
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
		det = PG_EXCEPTION_DETAIL, ctx = PG_EXCEPTION_CONTEXT;
	-- the context's first line names the file and the record
	RETURN 'ERROR ' || st || ': ' || msg || ' / ' || coalesce(det, '') ||
		' / ' || split_part(ctx, E'\n', 1);
END $$;
CREATE FUNCTION sig_bytes(data bytea) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	r text;
	st text;
	msg text;
	det text;
BEGIN
	SELECT count(*) || ' ' || coalesce(md5(string_agg(raw::text, E'\n'
			ORDER BY record_index)), '-')
	  INTO r FROM trail.parse(data);
	RETURN r;
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
		det = PG_EXCEPTION_DETAIL;
	RETURN 'ERROR ' || st || ': ' || msg || ' / ' || coalesce(det, '');
END $$;
});

# ---------------------------------------------------------------------------
# The files: the corpus (as t/001_corpus.pl finds it), the fixtures, and
# generated ones.

my $dir = PostgreSQL::Test::Utils::tempdir();
my @roots = ($fixtures);

my @candidates = grep { defined } (
	$ENV{TRAIL_CORPUS_DIR},
	(defined $ENV{TRAIL_REPO_ROOT}
		? "$ENV{TRAIL_REPO_ROOT}/../shared/corpus/files" : undef),
	"$repo/../shared/corpus/files");
my ($corpus) = grep { -d $_ } @candidates;
if (defined $corpus)
{
	# the server reads them where they are (scripts/test gives it a copy)
	push @roots, $corpus;
}
else
{
	note 'no corpus (looked in: ' . join(', ', @candidates) . ')';
}

# Generated: a few MB of records in members of odd sizes, zero padding at
# the end, and the whole thing gzipped again; a member larger than the
# inflater's 256 kB input refill.
mkdir "$dir/gen" or die $!;
push @roots, "$dir/gen";
srand(20261201);
my @records;
for my $i (1 .. 6000)
{
	my $pad = join('', map { chr(97 + int(rand(26))) } 1 .. int(rand(400)));
	push @records,
	  sprintf('{"eventVersion":"1.08","eventTime":"2025-03-10T%02d:%02d:%02dZ",'
		  . '"eventSource":"s3.amazonaws.com","eventName":"GetObject",'
		  . '"awsRegion":"us-east-1","requestParameters":{"key":"%s"},'
		  . '"eventID":"%08d-0000-4000-8000-000000000000"}',
		int($i / 3600) % 24, int($i / 60) % 60, $i % 60, $pad, $i);
}
my $json = '{"Records":[' . join(",\n", @records) . ']}';
my $members = '';
my $pos = 0;
while ($pos < length $json)
{
	my $piece = substr($json, $pos, 1 + int(rand(300_000)));
	my $n = length $piece;
	my $gz;
	gzip(\$piece => \$gz, Minimal => 1) or die $GzipError;
	$members .= $gz;
	$pos += $n;
}
sub write_file
{
	my ($path, $data) = @_;
	open my $out, '>:raw', $path or die "$path: $!";
	print $out $data;
	close $out;
}
write_file("$dir/gen/members.json.gz", $members);

# members with the optional header fields (extra field, name, comment): at
# tiny inputs each header is split at every byte
my $headers = '';
for my $i (0 .. 3)
{
	my $piece = substr($json, $i * int(length($json) / 4),
		$i == 3 ? length($json) : int(length($json) / 4));
	my $gz;
	gzip(\$piece => \$gz, Name => "part$i.json", Comment => "member $i",
		ExtraField => [ AB => 'x' x (1 + 10 * $i) ], TextFlag => 1)
	  or die $GzipError;
	$headers .= $gz;
}
write_file("$dir/gen/headers.json.gz", $headers);
# IO::Compress::Gzip writes a header CRC that gzip(1) and zlib refuse: a
# header that is not valid, for both inflaters
my $hcrc;
gzip(\$json => \$hcrc, Name => 'x.json', HeaderCRC => 1) or die $GzipError;
write_file("$dir/gen/headercrc.json.gz", $hcrc);
write_file("$dir/gen/padded.json.gz", $members . ("\0" x 1000));
my ($one, $nested);
gzip(\$json => \$one, Minimal => 1) or die $GzipError;
write_file("$dir/gen/one.json.gz", $one);
gzip(\$members => \$nested, Minimal => 1) or die $GzipError;
write_file("$dir/gen/nested.json.gz", $nested);
write_file("$dir/gen/cut.json.gz", substr($members, 0, int(length($members) * 2 / 3)));
my $flipped = $one;
substr($flipped, int(length($flipped) / 2), 1) =
  chr(ord(substr($flipped, int(length($flipped) / 2), 1)) ^ 0x10);
write_file("$dir/gen/flipped.json.gz", $flipped);
my $badcrc = $one;
substr($badcrc, -8, 1) = chr(ord(substr($badcrc, -8, 1)) ^ 1);
write_file("$dir/gen/badcrc.json.gz", $badcrc);
my $badlen = $one;
substr($badlen, -4, 1) = chr(ord(substr($badlen, -4, 1)) ^ 1);
write_file("$dir/gen/badlen.json.gz", $badlen);
# the bounds of libdeflate's shortcut: a file larger than the most it reads
# whole (2 MB), and a member that inflates to more than the most it
# inflates whole (16 MB); both are streamed
my ($big, $huge);
my $big_json = '{"Records":[' . join(",\n", (@records) x 6) . ']}';
gzip(\$big_json => \$big, Minimal => 1) or die $GzipError;
cmp_ok(length($big), '>', 2 * 1024 * 1024, 'a file larger than 2 MB');
write_file("$dir/gen/big.json.gz", $big);
# damaged files that libdeflate's shortcut reads whole (more than one
# input chunk): the streaming inflater that takes them over must see the
# input in the chunks a read would have given, or the rows before an error
# would differ
for my $i (1 .. 12)
{
	my $data = $i % 2 ? $one : $members;
	my $at = int(rand(length $data));
	if ($i % 3 == 0)
	{
		$data = substr($data, 0, $at);
	}
	elsif ($i % 3 == 1)
	{
		substr($data, $at, 1) = chr(ord(substr($data, $at, 1)) ^ (1 << ($i % 8)));
	}
	else
	{
		substr($data, $at, 0) = chr(int(rand(256)));
	}
	write_file("$dir/gen/damaged-$i.json.gz", $data);
}
# an empty member, then a member with a valid header CRC, which the
# shortcut leaves to the streaming inflater: the empty member (the file's
# last four bytes give a size larger than the output buffer) must not make
# the streamed bytes be looked for in the shortcut's own buffer
# (records in another order than any other file's, so that stale bytes
# of an earlier file cannot pass for them)
{
	my ($empty, $raw);
	my $nothing = '';
	my $reversed = '{"Records":[' . join(",\n", reverse @records) . ']}';
	gzip(\$nothing => \$empty, Minimal => 1) or die $GzipError;
	rawdeflate(\$reversed => \$raw) or die $RawDeflateError;
	my $hdr = pack('C4 V C2', 0x1f, 0x8b, 8, 2, 0, 0, 255);
	write_file("$dir/gen/empty-then-hcrc.json.gz",
		$empty . $hdr . pack('v', crc32($hdr) & 0xffff) . $raw
		  . pack('V V', crc32($reversed), length($reversed)));
}
my $huge_json = '{"Records":[' . join(",\n", ($records[0]) x 60000) . ']}';
cmp_ok(length($huge_json), '>', 16 * 1024 * 1024, 'a member larger than 16 MB');
gzip(\$huge_json => \$huge, Minimal => 1) or die $GzipError;
write_file("$dir/gen/huge.json.gz", $huge);

my @files;
find({ wanted => sub { push @files, $File::Find::name if -f $_ && !-l $_ },
		no_chdir => 1 }, @roots);
@files = sort @files;
note scalar(@files) . ' files';

# Signatures of every file, with one inflater and settings.
sub signatures
{
	my ($settings, $only) = @_;
	my $list = join(',', map { my $f = $_; $f =~ s/'/''/g; "('$f')" } @{ $only // \@files });
	my $out = $node->safe_psql('postgres',
		"$settings SELECT f || E'\\t' || sig(f) FROM (VALUES $list) v(f) ORDER BY f");
	my %sig;
	for my $line (split /\n/, $out)
	{
		my ($f, $s) = split /\t/, $line, 2;
		$sig{$f} = $s;
	}
	return \%sig;
}

# Errors without their context: the record an error names may differ
# between the libraries when the damage is found while reading short
# pieces (the developer settings), as ISA-L decodes up to 64 kB ahead.
sub no_context
{
	my ($sig) = @_;
	return $sig unless $sig =~ /^ERROR/;
	my @parts = split m{ / }, $sig;
	pop @parts;
	return join(' / ', @parts);
}

sub compare
{
	my ($got, $want, $what, $loose, $only) = @_;
	my @differ = grep {
		my ($g, $w) = ($got->{$_} // '', $want->{$_} // '');
		($g, $w) = (no_context($g), no_context($w)) if $loose;
		$g ne $w
	} @{ $only // \@files };
	is(scalar(@differ), 0, $what);
	for my $f (@differ[0 .. ($#differ < 4 ? $#differ : 4)])
	{
		diag "$f:\n  zlib: $want->{$f}\n  fast: $got->{$f}";
	}
}

my $zlib = signatures("SET trail.debug_inflater = 'zlib';");
my $fast = signatures("SET trail.debug_inflater = 'fast';");
my $streaming = signatures("SET trail.debug_inflater = 'streaming';");
my $gz = grep { $zlib->{$_} !~ /^ERROR/ && $_ =~ /\.gz$/ } @files;
note "$gz gzip files read without error";
cmp_ok($gz, '>', 10, 'many gzip files were read');
# The damaged large files: ISA-L and zlib may hand out a few bytes more or
# less before the CRC of a damaged member fails (the error's context, the
# record and offset, may differ), so against zlib without the context;
# libdeflate's shortcut must give exactly what ISA-L alone gives.
my @damaged_files = grep { m{/gen/damaged-[0-9]+\.json\.gz$} } @files;
my @intact_files = grep { !m{/gen/damaged-[0-9]+\.json\.gz$} } @files;
compare($fast, $zlib, 'the fast inflaters give the bytes and errors zlib gives, on every file',
	0, \@intact_files);
compare($streaming, $zlib,
	'the streaming fast inflater gives the bytes and errors zlib gives, on every file',
	0, \@intact_files);
compare($fast, $zlib, 'damaged large files: the fast inflaters give zlib\'s rows or zlib\'s error',
	1, \@damaged_files);
compare($fast, $streaming,
	'damaged large files: with the shortcut, exactly the rows and errors of ISA-L alone',
	0, \@damaged_files);
is(scalar(grep { $zlib->{$_} =~ /^ERROR/ } @damaged_files), scalar(@damaged_files),
	'every damaged large file raises an error');

# zlib's own answers on the generated files, so that the comparison means
# something: whole, cut, flipped, bad checksum and length
like($zlib->{"$dir/gen/members.json.gz"}, qr/^6000 [0-9a-f]{32}$/, 'many members: every record');
is($zlib->{"$dir/gen/padded.json.gz"}, $zlib->{"$dir/gen/members.json.gz"}, 'zero padding');
is($zlib->{"$dir/gen/one.json.gz"}, $zlib->{"$dir/gen/members.json.gz"}, 'one member');
is($zlib->{"$dir/gen/headers.json.gz"}, $zlib->{"$dir/gen/members.json.gz"},
	'members with optional header fields');
like($zlib->{"$dir/gen/headercrc.json.gz"},
	qr{^ERROR XX001: compressed data is corrupt / The header of gzip member 1 is not valid\.},
	'a header CRC that does not match');
is($zlib->{"$dir/gen/nested.json.gz"}, $zlib->{"$dir/gen/members.json.gz"}, 'gzip inside gzip');
like($zlib->{"$dir/gen/big.json.gz"}, qr/^36000 [0-9a-f]{32}$/, 'a file larger than 2 MB');
like($zlib->{"$dir/gen/empty-then-hcrc.json.gz"}, qr/^6000 [0-9a-f]{32}$/,
	'an empty member, then one with a valid header CRC');
like($zlib->{"$dir/gen/huge.json.gz"}, qr/^60000 [0-9a-f]{32}$/, 'a member larger than 16 MB');
like($zlib->{"$dir/gen/cut.json.gz"}, qr/^ERROR XX001: compressed data is truncated/, 'cut');
like($zlib->{"$dir/gen/flipped.json.gz"}, qr/^ERROR XX001: compressed data is corrupt/, 'flipped');
like($zlib->{"$dir/gen/badcrc.json.gz"},
	qr/^ERROR XX001: compressed data is corrupt \/ The CRC-32 or length in the trailer of gzip member 1 does not match the inflated data\./,
	'bad CRC');
(my $badlen_sig = $zlib->{"$dir/gen/badlen.json.gz"}) =~ s/badlen/badcrc/;
is($badlen_sig, $zlib->{"$dir/gen/badcrc.json.gz"}, 'bad length');

# The fast inflater at tiny reads and inputs: every refill path of its
# streaming (output held back, trailers split across inputs).
# (Not the two largest files: at reads of a byte they take minutes, and
# what they test, the bounds of the shortcut, tiny reads turn off.)
my @small_files = grep { !m{/gen/(big|huge)\.json\.gz$} } @files;
for my $sizes ([ 1, 1 ], [ 7, 3 ], [ 64, 5 ], [ 4096, 1 ], [ 1, 4096 ])
{
	my $tiny = signatures("SET trail.debug_inflater = 'fast'; "
		  . "SET trail.debug_read_size = $sizes->[0]; "
		  . "SET trail.debug_inflate_chunk = $sizes->[1];", \@small_files);
	compare($tiny, $zlib,
		"fast inflater at reads of $sizes->[0] and inputs of $sizes->[1] bytes: the same rows and errors",
		1, \@small_files);
}

# ---------------------------------------------------------------------------
# Damaged gzip: cut, bytes flipped, bytes inserted, in the header, the data
# and the trailer.  The same answer from both: the same rows, or an error
# with the same SQLSTATE and message.  The detail may differ: ISA-L accepts
# some invalid deflate data (Huffman codes zlib calls incomplete) that the
# CRC then catches, so it may say "CRC-32 or length" where zlib says
# "deflate data"; those are counted, not failed.

my @seeds;
for my $name ('records.json.gz', 'cwl-subscription.json.gz',
	'records-multimember.json.gz', 'records-double.json.gz')
{
	open my $in, '<:raw', "$fixtures/shapes/$name" or die $!;
	local $/;
	push @seeds, scalar <$in>;
	close $in;
}
my @damaged;
for my $i (1 .. 300)
{
	my $data = $seeds[ $i % @seeds ];
	my $kind = $i % 3;
	if ($kind == 0)
	{
		$data = substr($data, 0, int(rand(length $data)));
	}
	elsif ($kind == 1)
	{
		for (1 .. 1 + int(rand(3)))
		{
			my $at = $i % 5 == 0 ? int(rand(12)) : int(rand(length $data));
			substr($data, $at, 1) = chr(int(rand(256)));
		}
	}
	else
	{
		substr($data, int(rand(length $data)), 0) = chr(int(rand(256)));
	}
	push @damaged, unpack('H*', $data);
}
sub damaged_signatures
{
	my ($settings) = @_;
	my $values = join(',', map { "($_, '\\x$damaged[$_]'::bytea)" } 0 .. $#damaged);
	return [ split /\n/, $node->safe_psql('postgres',
			"$settings SELECT sig_bytes(d) FROM (VALUES $values) v(i, d) ORDER BY i") ];
}
my $dz = damaged_signatures("SET trail.debug_inflater = 'zlib';");
my $df = damaged_signatures("SET trail.debug_inflater = 'fast';");
my $ds = damaged_signatures("SET trail.debug_inflater = 'streaming';");
my $dt = damaged_signatures("SET trail.debug_inflater = 'fast'; "
	  . "SET trail.debug_read_size = 3; SET trail.debug_inflate_chunk = 2;");
my $errors = grep { /^ERROR/ } @$dz;
note "damaged inputs: $errors of " . scalar(@damaged) . ' raised an error with zlib';
cmp_ok($errors, '>', 50, 'damaged inputs raise errors');
sub message_only
{
	my ($sig) = @_;
	$sig =~ s{ / .*$}{} if $sig =~ /^ERROR/;
	return $sig;
}
for my $pair ([ $df, 'fast' ], [ $ds, 'streaming' ], [ $dt, 'fast at tiny reads' ])
{
	my @differ = grep { message_only($pair->[0][$_]) ne message_only($dz->[$_]) }
	  0 .. $#damaged;
	my $details = grep { $pair->[0][$_] ne $dz->[$_] } 0 .. $#damaged;
	note "damaged gzip, $pair->[1]: $details of " . scalar(@damaged)
	  . ' with another detail than zlib\'s';
	is(scalar(@differ), 0, "damaged gzip: $pair->[1] gives zlib's rows or zlib's error");
	diag "input $_:\n  zlib: $dz->[$_]\n  $pair->[1]: $pair->[0][$_]"
	  for @differ[0 .. ($#differ < 4 ? $#differ : 4)];
}

$node->stop;
done_testing();
