# t/002_robustness.pl — what a regression test cannot show:
#   - a query is cancelled in the middle of a large file (statement_timeout),
#     through trail.read and through the foreign table;
#   - hundreds of damaged inputs (cut, bytes flipped, bytes inserted; plain
#     and gzip) give rows or a clean ERROR, never a crashed backend;
#   - the WARNING of on_error 'skip' names the files and records it skipped;
#   - with the developer settings trail.debug_read_size and
#     trail.debug_inflate_chunk at 1..64 bytes (every refill path of the
#     record stream and of the inflater is crossed), undamaged inputs give
#     exactly the rows of the normal settings: every shape, a record larger
#     than the initial 1 MB window, multi-member gzip, gzip inside gzip;
#   - damaged inputs against an oracle, at those sizes too: a damaged gzip
#     (CRC-protected) gives exactly the undamaged rows or a clean
#     data_corrupted ERROR; a damaged plain document gives what Python's
#     json module finds in it (t/trail_oracle.py), or an ERROR when Python
#     rejects it.
use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use IO::Compress::Gzip qw(gzip $GzipError);
use IO::Uncompress::Gunzip qw(gunzip $GunzipError);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $repo = abs_path(dirname(__FILE__) . '/..');
my $fixtures = "$repo/test/fixtures";

my $node = PostgreSQL::Test::Cluster->new('robust');
$node->init;
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION trail');

# ---------------------------------------------------------------------------
# Cancel in the middle of a file.

my $dir = PostgreSQL::Test::Utils::tempdir();
my $big = "$dir/big.json.gz";
{
	open my $in, '<', "$fixtures/shapes/records.json" or die $!;
	local $/;
	my $doc = <$in>;
	close $in;
	my ($records) = $doc =~ /^\{"Records":\[(.*)\]\}$/s or die 'unexpected fixture';
	my $json = '{"Records":[' . join(',', ($records) x 40000) . ']}';
	gzip(\$json => $big) or die $GzipError;
	note sprintf 'big file: %.0f MB of JSON', length($json) / 1e6;
}

my ($ret, $stdout, $stderr);
my $started = time;
($ret, $stdout, $stderr) = $node->psql('postgres',
	"SET statement_timeout = '100ms'; SELECT count(e) FROM trail.read('$big') e");
isnt($ret, 0, 'a long read is cancelled');
like($stderr, qr/canceling statement due to statement timeout/,
	'with the cancel message');
cmp_ok(time - $started, '<', 30, 'promptly');

$node->safe_psql('postgres', qq{
	CREATE SERVER s FOREIGN DATA WRAPPER trail_fdw;
	CREATE FOREIGN TABLE big (event_name text, user_identity jsonb,
	  request_parameters jsonb, raw json) SERVER s OPTIONS (location '$big');
});
($ret, $stdout, $stderr) = $node->psql('postgres',
	"SET statement_timeout = '100ms'; SELECT count(b) FROM big b");
like($stderr, qr/canceling statement due to statement timeout/,
	'a foreign table scan is cancelled too');
is($node->safe_psql('postgres', 'SELECT count(*) FROM big'), '120000',
	'and the file reads in full without the timeout');

# ---------------------------------------------------------------------------
# Damaged input never crashes the backend.

srand(20251122);
my @seeds;
for my $name ('records.json', 'records.json.gz', 'cwl-subscription.json.gz',
	'lookup-events.json', 'records-concatenated.json')
{
	open my $in, '<:raw', "$fixtures/shapes/$name" or die $!;
	local $/;
	push @seeds, scalar <$in>;
	close $in;
}

my @statements;
for my $i (1 .. 400)
{
	my $data = $seeds[ $i % @seeds ];
	my $kind = $i % 4;
	if ($kind == 0)
	{
		$data = substr($data, 0, int(rand(length $data)));
	}
	elsif ($kind == 1)
	{
		for (1 .. 1 + int(rand(8)))
		{
			substr($data, int(rand(length $data)), 1) = chr(int(rand(256)));
		}
	}
	elsif ($kind == 2)
	{
		my @junk = ('{', '}', '[', ']', '"', '\\', ',', ':', "\\u0000",
			"\\ud800", "\xff", "\x00", '1e99999', 'tru', "\n");
		for (1 .. 1 + int(rand(4)))
		{
			substr($data, int(rand(length $data)), 0) = $junk[ rand @junk ];
		}
	}
	else
	{
		# gzip the damaged text again, so the reader gets past the inflate
		substr($data, int(rand(length $data)), 1) = chr(int(rand(256)));
		my $gz;
		gzip(\$data => \$gz) or die $GzipError;
		$data = $gz;
	}
	my $hex = unpack('H*', $data);
	push @statements,
	  "SELECT count(e) FROM trail.parse('\\x$hex'::bytea) e;";
}
($ret, $stdout, $stderr) = $node->psql('postgres', join("\n", @statements),
	on_error_stop => 0);
my $errors = () = $stderr =~ /^.*ERROR:/mg;
note "damaged inputs: $errors of 400 raised an error";
cmp_ok($errors, '>', 0, 'damaged inputs raise errors');
is($node->safe_psql('postgres', 'SELECT 1'), '1', 'the server is still up');
my $log = slurp_file($node->logfile);
unlike($log, qr/terminated by signal/, 'no backend crashed');
unlike($stderr, qr/server closed the connection/, 'no connection was lost');

# the same inputs through a file, with on_error 'skip'
mkdir "$dir/damaged" or die $!;
my $i = 0;
for my $statement (@statements[0 .. 99])
{
	my ($hex) = $statement =~ /\\x([0-9a-f]*)'/;
	open my $out, '>:raw', sprintf('%s/damaged/%03d.json', $dir, $i++) or die $!;
	print $out pack('H*', $hex);
	close $out;
}
($ret, $stdout, $stderr) = $node->psql('postgres',
	"SELECT count(e) FROM trail.read('$dir/damaged', on_error => 'skip') e");
is($ret, 0, 'a directory of damaged files reads with on_error skip');
like($stderr, qr/WARNING:  skipped \d+ bad records and \d+ unreadable files/,
	'and says what it skipped');

# ---------------------------------------------------------------------------
# The WARNING of on_error 'skip' names the first problems.

($ret, $stdout, $stderr) = $node->psql('postgres',
	"SELECT count(*) FROM trail.read('$fixtures/bad/mixed', on_error => 'skip')");
is($stdout, '6', 'skip mode returns the good records of bad/mixed');
like($stderr, qr/WARNING:  skipped 0 bad records and 2 unreadable files/,
	'one WARNING counts the skipped files');
like($stderr,
	qr{DETAIL:  CloudTrail file "\Q$fixtures\E/bad/mixed/invalid-json\.json", record 2, byte offset 1677: invalid JSON \(the rest of the file was not read\)},
	'the detail names the file, record and byte offset of the JSON error');
like($stderr,
	qr{CloudTrail file "\Q$fixtures\E/bad/mixed/truncated\.json\.gz", record 2, byte offset 2483: compressed data is truncated},
	'and the truncated gzip file');

($ret, $stdout, $stderr) = $node->psql('postgres',
	"SELECT count(event_name) FROM trail.read('$fixtures/bad/wrong-type.json', on_error => 'skip') WHERE read_only IS NOT NULL AND user_type IS NOT NULL");
like($stderr, qr/skipped 3 bad records and 0 unreadable files/,
	'bad records are counted');
like($stderr, qr/record 2, byte offset 971: field "eventName" must be a string, not a number/,
	'and named with their field');
like($stderr, qr/record 4, byte offset 2862: field "userIdentity" must be an object, not a string/,
	'all of them');

# ---------------------------------------------------------------------------
# Window boundaries: tiny reads and inflate inputs give the same rows.

sub slurp_raw
{
	my ($path) = @_;
	open my $in, '<:raw', $path or die "$path: $!";
	local $/;
	my $data = <$in>;
	close $in;
	return $data;
}

sub spew_raw
{
	my ($path, $data) = @_;
	open my $out, '>:raw', $path or die "$path: $!";
	print $out $data;
	close $out;
}

sub gzip_bytes
{
	my ($data) = @_;
	my $gz;
	gzip(\$data => \$gz, Minimal => 1) or die $GzipError;
	return $gz;
}

my $win = "$dir/windows";
mkdir $win or die $!;
opendir my $dh, "$fixtures/shapes" or die $!;
my @shape_files = sort grep { !/^\./ } readdir $dh;
closedir $dh;
for my $name (@shape_files)
{
	spew_raw("$win/$name", slurp_raw("$fixtures/shapes/$name"));
}

# a record larger than the initial 1 MB window, between two small ones
my $records_json = slurp_raw("$fixtures/shapes/records.json");
# the first record of records.json: its first balanced object
my $first_rec;
{
	my ($depth, $in_string, $escaped, $start) = (0, 0, 0, index($records_json, '[') + 1);
	for my $i ($start .. length($records_json) - 1)
	{
		my $c = substr($records_json, $i, 1);
		if ($in_string)
		{
			if ($escaped) { $escaped = 0 }
			elsif ($c eq '\\') { $escaped = 1 }
			elsif ($c eq '"') { $in_string = 0 }
			next;
		}
		if ($c eq '"') { $in_string = 1 }
		elsif ($c eq '{') { $depth++ }
		elsif ($c eq '}' && --$depth == 0)
		{
			$first_rec = substr($records_json, $start, $i + 1 - $start);
			last;
		}
	}
	die 'no first record' unless defined $first_rec && $first_rec =~ /^\{.*\}$/s;
}
my $huge_rec = '{"eventVersion":"1.11","eventTime":"2025-03-04T09:15:02Z","eventName":"Huge","eventID":"11111111-2222-4333-8444-555555555555","requestParameters":{"blob":"'
  . ('x' x 1_500_000) . '\\u00e9"},"responseElements":null}';
my $big_doc = '{"Records":[' . $first_rec . ',' . $huge_rec . ',' . $first_rec . ']}';
spew_raw("$win/big.json", $big_doc);
spew_raw("$win/big.json.gz", gzip_bytes($big_doc));
# multi-member: cut inside the huge record, and gzip inside gzip
my $cut = int(length($big_doc) / 2);
spew_raw("$win/big-multimember.json.gz",
	gzip_bytes(substr($big_doc, 0, $cut)) . gzip_bytes(substr($big_doc, $cut)));
spew_raw("$win/big-double.json.gz", gzip_bytes(gzip_bytes($big_doc)));
spew_raw("$win/big.ndjson", "$first_rec\n$huge_rec\n$first_rec\n");
spew_raw("$win/big-concatenated.json", "$first_rec$huge_rec$first_rec");

my $rows_sql = "SELECT count(*) || ' ' || md5(string_agg(t::text, E'\\n' ORDER BY source_file, record_index)) FROM trail.read('$win') t";
my $normal = $node->safe_psql('postgres', $rows_sql);
my $nwin = 3 * @shape_files + 3 * 6;
like($normal, qr/^$nwin [0-9a-f]{32}$/, "the window inputs give $nwin rows");
for my $size (1, 2, 3, 5, 7, 13, 31, 64)
{
	my $got = $node->safe_psql('postgres',
		"SET trail.debug_read_size = $size; SET trail.debug_inflate_chunk = $size; $rows_sql");
	is($got, $normal, "reads and inflate inputs of $size bytes give the same rows");
}
# the two sizes apart, and the bytea path of trail.parse
my $parse_sql = "SELECT count(*) || ' ' || md5(string_agg(t::text, E'\\n' ORDER BY record_index)) FROM trail.parse(pg_read_binary_file('$win/big-double.json.gz')) t";
my $parse_normal = $node->safe_psql('postgres', $parse_sql);
like($parse_normal, qr/^3 /, 'trail.parse reads the big gzip inside gzip');
for my $sizes ([1, 64], [64, 1], [7, 3], [0, 1], [1, 0])
{
	my $got = $node->safe_psql('postgres',
		"SET trail.debug_read_size = $sizes->[0]; SET trail.debug_inflate_chunk = $sizes->[1]; $parse_sql");
	is($got, $parse_normal,
		"trail.parse with reads of $sizes->[0] and inflate inputs of $sizes->[1] bytes");
}
is($node->safe_psql('postgres', "SELECT count(*) FROM pg_settings WHERE name LIKE 'trail.debug%'"),
	'0', 'the developer settings are hidden from pg_settings');

# ---------------------------------------------------------------------------
# Damaged inputs against an oracle.

# try_read(path): "ok<TAB>N<TAB>ids" or "error<TAB>SQLSTATE<TAB>message"
$node->safe_psql('postgres', q{
CREATE FUNCTION try_read(path text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
    ids text;
    st text;
    msg text;
BEGIN
    BEGIN
        SELECT count(*) INTO n FROM trail.read(path);
    EXCEPTION WHEN others THEN
        GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
        RETURN 'error' || E'\t' || st || E'\t' || msg;
    END;
    -- the eventIDs as json sees them; PostgreSQL's json cannot de-escape
    -- \u0000 or unpaired surrogates (the oracle says '!' for those)
    BEGIN
        SELECT coalesce(string_agg(
                 CASE coalesce(json_typeof(raw->'eventID'), 'null')
                   WHEN 'null' THEN '~'
                   WHEN 'string' THEN
                     CASE WHEN raw->>'eventID' ~ '[\x01-\x1f]' THEN '!' ELSE raw->>'eventID' END
                   ELSE '?' END, ',' ORDER BY record_index), '')
          INTO ids FROM trail.read(path);
    EXCEPTION WHEN others THEN
        GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE;
        ids := '!' || st;
    END;
    RETURN 'ok' || E'\t' || n || E'\t' || ids;
END
$$;
});

sub damage
{
	my ($data, $kind) = @_;
	if ($kind == 0)
	{
		return substr($data, 0, int(rand(length $data)));
	}
	elsif ($kind == 1)
	{
		for (1 .. 1 + int(rand(8)))
		{
			substr($data, int(rand(length $data)), 1) = chr(int(rand(256)));
		}
	}
	elsif ($kind == 3)
	{
		# letters for letters: mostly still JSON, with other values
		for (1 .. 1 + int(rand(8)))
		{
			my $at = int(rand(length $data));
			substr($data, $at, 1) = ('a' .. 'z', 'A' .. 'Z')[ rand 52 ]
			  if substr($data, $at, 1) =~ /[A-Za-z]/;
		}
	}
	elsif ($kind == 4)
	{
		# blanks and escapes: between tokens, inside strings, inside numbers
		my @ins = (' ', "\t", "\r\n", '\\n', '\\u00e9', '\\ud83d\\ude00', "\xc3\xa9");
		for (1 .. 1 + int(rand(4)))
		{
			substr($data, int(rand(length $data)), 0) = $ins[ rand @ins ];
		}
	}
	else
	{
		my @junk = ('{', '}', '[', ']', '"', '\\', ',', ':', "\\u0000",
			"\\ud800", "\xff", "\x00", '1e99999', 'tru', "\n", "\x01",
			'{"Records":[', '{"eventVersion":"1.0"}', 'NaN');
		for (1 .. 1 + int(rand(4)))
		{
			substr($data, int(rand(length $data)), 0) = $junk[ rand @junk ];
		}
	}
	return $data;
}

# runs try_read over files, in one session; returns the results in order
sub try_read_all
{
	my ($settings, @files) = @_;
	my $sql = join("\n", $settings, map { "SELECT try_read('$_');" } @files);
	my ($r, $out, $err) = $node->psql('postgres', $sql, on_error_stop => 0);
	die "psql failed: $err" if $err =~ /server closed the connection|connection to server was lost/;
	my @lines = split /\n/, $out, -1;
	pop @lines if @lines && $lines[-1] eq '';
	die 'expected ' . scalar(@files) . ' results, got ' . scalar(@lines) . ": $err"
	  unless @lines == @files;
	return @lines;
}

my $oracle_ok = system('python3 -c "import json" 2>/dev/null') == 0;

# plain JSON: the oracle is t/trail_oracle.py
my $plain_dir = "$dir/damaged-plain";
mkdir $plain_dir or die $!;
my @plain_seeds = map { slurp_raw("$fixtures/shapes/$_") } qw(records.json
  lookup-events.json records-concatenated.json records.ndjson
  eventbridge.ndjson records-pretty.json records-array.json
  console-event-history.json records-bom.json);
{
	my $cwl;
	gunzip(\slurp_raw("$fixtures/shapes/cwl-subscription.json.gz") => \$cwl)
	  or die $GunzipError;
	push @plain_seeds, $cwl;
}
my @plain_files;
for my $i (1 .. 400)
{
	my $data = damage($plain_seeds[ $i % @plain_seeds ], $i % 5);
	my $path = sprintf('%s/%03d.json', $plain_dir, $i);
	spew_raw($path, $data);
	push @plain_files, $path;
	# the same damaged text, gzip'd: the inflater's path, same answer
	if ($i % 5 == 0)
	{
		spew_raw("$path.gz", gzip_bytes($data));
		push @plain_files, "$path.gz";
	}
}
# a damaged huge record (cut, flipped, junk), plain
for my $kind (0 .. 2)
{
	for my $j (1 .. 3)
	{
		my $path = "$plain_dir/big-$kind-$j.json";
		spew_raw($path, damage($big_doc, $kind));
		push @plain_files, $path;
	}
}

SKIP:
{
	skip 'python3 is not installed', 3 unless $oracle_ok;

	my %expect;
	{
		my @plain_only = map { (my $p = $_) =~ s/\.gz$//; $p } @plain_files;
		my $out = `python3 '$repo/t/trail_oracle.py' @{[join ' ', map { "'$_'" } @plain_only]}`;
		for my $line (split /\n/, $out)
		{
			my ($path, $verdict) = split /\t/, $line, 2;
			$expect{$path} = $verdict;
		}
	}
	for my $settings ('', 'SET trail.debug_read_size = 3; SET trail.debug_inflate_chunk = 5;')
	{
		my @got = try_read_all($settings, @plain_files);
		my (@wrong, $errors, $rows);
		for my $k (0 .. $#plain_files)
		{
			(my $plain = $plain_files[$k]) =~ s/\.gz$//;
			my $want = $expect{$plain} // 'missing';
			my $got = $got[$k];
			my $good;
			if ($want eq 'error')
			{
				$good = $got =~ /^error\t(?!XX000)[0-9A-Z]{5}\t/;
				$errors++;
			}
			else
			{
				my ($wn, $wids) = $want =~ /^ok\t(\d+)\t(.*)$/;
				my ($gn, $gids) = $got =~ /^ok\t(\d+)\t(.*)$/;
				# PostgreSQL's json operators cannot de-escape \u0000 or an
				# unpaired surrogate anywhere in the record: then only the
				# count is compared
				my $pg_json_limit = slurp_raw($plain) =~ /\\u(0000|d800)/;
				$good = defined $gn && $gn == $wn
				  && ($gids eq $wids
					|| ($gids =~ /^!/ && $wids =~ /(^|,)!(,|$)/)
					|| ($gids =~ /^!22P0[25]$/ && $pg_json_limit));
				$rows++;
			}
			push @wrong, "$plain_files[$k]: oracle says '$want', trail says '$got'"
			  unless $good;
		}
		note sprintf('%s: %d plain inputs, %d must fail, %d must give rows',
			$settings || 'normal settings', scalar(@plain_files), $errors // 0, $rows // 0);
		ok(!@wrong, "damaged plain JSON gives what the oracle says ($settings)")
		  or diag(join("\n", @wrong[0 .. ($#wrong < 20 ? $#wrong : 19)]));
	}
	is($node->safe_psql('postgres', 'SELECT 1'), '1', 'the server is still up');
}

# gzip: the CRC protects the data, so the rows are the undamaged ones or
# the read fails with data_corrupted (or, when the gzip magic itself is
# gone, as input that holds no events or is not JSON).  A cut that `gzip -t`
# finds complete (at a member boundary) is a shorter valid stream: the plain
# oracle judges it by its inflated text.
my $gz_dir = "$dir/damaged-gzip";
mkdir $gz_dir or die $!;
my @gz_seeds = ("$fixtures/shapes/records.json.gz",
	"$fixtures/shapes/cwl-subscription.json.gz",
	"$fixtures/shapes/records-multimember.json.gz",
	"$fixtures/shapes/records-double.json.gz", "$win/big-multimember.json.gz");
my (%gz_undamaged, @gz_files, %gz_seed_of);
for my $seed (@gz_seeds)
{
	$gz_undamaged{$seed} = (try_read_all('', $seed))[0];
	like($gz_undamaged{$seed}, qr/^ok\t[1-9]/, "$seed reads undamaged");
}
for my $i (1 .. 200)
{
	my $seed = $gz_seeds[ $i % @gz_seeds ];
	my $path = sprintf('%s/%03d.json.gz', $gz_dir, $i);
	spew_raw($path, damage(slurp_raw($seed), $i % 3));
	push @gz_files, $path;
	$gz_seed_of{$path} = $seed;
}
for my $settings ('', 'SET trail.debug_read_size = 7; SET trail.debug_inflate_chunk = 2;')
{
	my @got = try_read_all($settings, @gz_files);
	my (@wrong, %outcome);
	for my $k (0 .. $#gz_files)
	{
		my $path = $gz_files[$k];
		my $got = $got[$k];
		my $want = $gz_undamaged{ $gz_seed_of{$path} };
		my $magic = substr(slurp_raw($path), 0, 2) eq "\x1f\x8b";
		my $good;
		if ($got eq $want)
		{
			$good = 1;
			$outcome{undamaged}++;
		}
		elsif ($got =~ /^error\t(\w{5})\t/)
		{
			my $state = $1;
			$good = $magic ? $state eq 'XX001' : $state =~ /^(22P02|22021)$/;
			$outcome{$state}++;
		}
		elsif ($oracle_ok && system("gzip -t '$path' 2>/dev/null") == 0)
		{
			# a complete, shorter gzip stream: judge its text
			my $text;
			gunzip($path => \$text, MultiStream => 1) or die $GunzipError;
			while (substr($text, 0, 2) eq "\x1f\x8b")
			{
				my $inner;
				gunzip(\$text => \$inner, MultiStream => 1) or die $GunzipError;
				$text = $inner;
			}
			spew_raw("$path.txt", $text);
			my ($verdict) = `python3 '$repo/t/trail_oracle.py' '$path.txt'` =~ /\t(.*)$/;
			$good = $verdict eq 'error' ? 0 : $got eq "ok\t" . (split /\t/, $verdict, 2)[1];
			$outcome{shorter}++;
		}
		push @wrong, "$path: undamaged '$want', trail says '$got'" unless $good;
	}
	note(($settings || 'normal settings') . ': '
		  . join(', ', map { "$_ $outcome{$_}" } sort keys %outcome));
	ok(!@wrong, "damaged gzip gives the undamaged rows or a clean error ($settings)")
	  or diag(join("\n", @wrong[0 .. ($#wrong < 20 ? $#wrong : 19)]));
}
is($node->safe_psql('postgres', 'SELECT 1'), '1', 'the server is still up after the oracle runs');
$log = slurp_file($node->logfile);
unlike($log, qr/terminated by signal/, 'no backend crashed in any of them');

$node->stop;
done_testing();
