# t/002_robustness.pl — what a regression test cannot show:
#   - a query is cancelled in the middle of a large file (statement_timeout),
#     through trail.read and through the foreign table;
#   - hundreds of damaged inputs (cut, bytes flipped, bytes inserted; plain
#     and gzip) give rows or a clean ERROR, never a crashed backend;
#   - the WARNING of on_error 'skip' names the files and records it skipped.
use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use IO::Compress::Gzip qw(gzip $GzipError);
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

$node->stop;
done_testing();
