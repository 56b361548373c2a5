# t/011_verify.pl — log file validation against signed digests.
#
# test/verify/signed_tree.py composes a tree with digests signed exactly
# as reference section 3.3 says (Python's cryptography, independent of
# trail).  An intact tree is all valid; each tampering, on a copy, gives
# exactly its status; Python's own check of the signatures agrees with
# trail's.
use strict;
use warnings;

use File::Copy qw(copy move);
use File::Path qw(make_path);
use IO::Compress::Gzip qw(gzip $GzipError);
use IO::Uncompress::Gunzip qw(gunzip $GunzipError);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('verify');
$node->init;
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION trail');

my $base = PostgreSQL::Test::Utils::tempdir();
my $tool = 'test/verify/signed_tree.py';
my $n = 0;

sub slurp_file_text
{
	my ($path) = @_;
	open my $fh, '<', $path or die "$path: $!";
	local $/;
	my $text = <$fh>;
	close $fh;
	return $text;
}

sub sql_quote
{
	my ($s) = @_;
	$s =~ s/'/''/g;
	return "'$s'";
}

# a new signed tree; its keys are loaded
sub make_tree
{
	my ($variant) = @_;
	my $dir = "$base/tree" . ++$n;
	system('python3', $tool, 'make', $dir, $variant) == 0
	  or die "signed_tree.py make $variant failed";
	my $keys = slurp_file_text("$dir/keys.json");
	my $stored = $node->safe_psql('postgres',
		'SELECT trail.load_public_keys(' . sql_quote($keys) . q{, 'us-east-1')});
	is($stored, '3', "$variant: three keys stored");
	return $dir;
}

sub copy_tree
{
	my ($from) = @_;
	my $dir = "$base/tree" . ++$n;
	system('cp', '-R', $from, $dir) == 0 or die "cp failed";
	return $dir;
}

sub label
{
	my ($path) = @_;
	return "L$1" if $path =~ /_L0*(\d+)\.json\.gz$/;
	return 'D5' if $path =~ /20250306T010000Z\.json\.gz$/;
	return "D$1" if $path =~ /T0(\d)0000Z\.json\.gz$/;
	return $path;
}

# "D1 valid, ..., L9 not_covered" for a tree
sub statuses
{
	my ($dir, $signatures) = @_;
	$signatures //= slurp_file_text("$dir/signatures.json");
	my $out = $node->safe_psql('postgres',
		"SELECT object, path, status FROM trail.verify("
		  . sql_quote("$dir/AWSLogs")
		  . ", signatures => "
		  . sql_quote($signatures)
		  . "::jsonb) ORDER BY 1 DESC, 2");
	my %seen;
	for my $line (split /\n/, $out)
	{
		my ($object, $path, $status) = split /\|/, $line;
		push @{ $seen{ label($path) } }, $status;
	}
	return join ', ',
	  map { "$_ " . join('+', @{ $seen{$_} }) }
	  sort { substr($a, 0, 1) cmp substr($b, 0, 1) || substr($a, 1) <=> substr($b, 1) }
	  keys %seen;
}

sub digest_path
{
	my ($dir, $hh) = @_;
	return "$dir/AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2025/03/04/"
	  . "111122223333_CloudTrail-Digest_us-east-1_mgmt_us-east-1_20250304T${hh}0000Z.json.gz";
}

sub log_path
{
	my ($dir, $hhmm, $i) = @_;
	return sprintf '%s/AWSLogs/111122223333/CloudTrail/us-east-1/2025/03/04/'
	  . '111122223333_CloudTrail_us-east-1_20250304T%sZ_L%015d.json.gz',
	  $dir, $hhmm, $i;
}

# rewrite a gzip file's inflated bytes
sub edit_gz
{
	my ($path, $edit) = @_;
	my $data;
	gunzip($path => \$data) or die $GunzipError;
	$data = $edit->($data);
	gzip(\$data => $path) or die $GzipError;
}

my $intact_expected =
  'D1 valid, D2 valid, D3 valid, D4 valid, L1 valid, L2 valid, L3 valid, '
  . 'L4 valid, L5 valid, L6 valid, L7 valid, L8 valid, L9 not_covered';
sub expect
{
	my (%change) = @_;
	my %st = map { split / /, $_, 2 } split /, /, $intact_expected;
	while (my ($k, $v) = each %change)
	{
		if (defined $v) { $st{$k} = $v; }
		else { delete $st{$k}; }
	}
	return join ', ',
	  map { "$_ $st{$_}" }
	  sort { substr($a, 0, 1) cmp substr($b, 0, 1) || substr($a, 1) <=> substr($b, 1) }
	  keys %st;
}

my $intact = make_tree('intact');
is(statuses($intact), $intact_expected, 'intact tree: all valid');

my @py = `python3 $tool check $intact`;
is(scalar(grep { / ok$/ } @py), 4, 'Python verifies the same four signatures');


# without the newest digest's signature, only it is unverified
is(statuses($intact, '{}'), expect(D4 => 'unverified'),
	'no signature for the newest digest: it alone is unverified');

# a window of delivery times: log files delivered in it, digests whose
# period overlaps it (all still verified through their successors)
{
	my $sigs = sql_quote(slurp_file_text("$intact/signatures.json"));
	my $q = sub {
		my ($args) = @_;
		my $out = $node->safe_psql('postgres',
			"SELECT path, status FROM trail.verify('$intact/AWSLogs', $args, signatures => ${sigs}::jsonb) ORDER BY object, path");
		return join ', ', map { my ($p, $st) = split /\|/; label($p) . " $st" } split /\n/, $out;
	};
	is($q->(q{since => '2025-03-04T02:00:00Z'}),
		'D2 valid, D3 valid, D4 valid, L5 valid, L6 valid, L7 valid, L8 valid, L9 not_covered',
		'since: the files delivered after it, the digests ending after it');
	is($q->(q{since => '2025-03-04T00:00:00Z', until => '2025-03-04T01:00:00Z'}),
		'D1 valid, D2 valid, L1 valid, L2 valid',
		'since and until: one hour');
}

my $t;

$t = copy_tree($intact);
edit_gz(log_path($t, '0105', 3), sub { my $d = shift; $d =~ s/DescribeInstances/DescribeInstanceZ/; $d });
is(statuses($t), expect(L3 => 'modified'), 'a byte changed in a log file: modified');

$t = copy_tree($intact);
unlink log_path($t, '0135', 4) or die;
is(statuses($t), expect(L4 => 'missing'), 'a log file deleted: missing');

$t = copy_tree($intact);
unlink digest_path($t, '02') or die;
is(statuses($t),
	expect(D2 => 'missing', D1 => 'unverified', L3 => 'not_covered', L4 => 'not_covered'),
	'a digest deleted: missing, its predecessor unverified, its logs no longer covered');

$t = copy_tree($intact);
{
	my $src = log_path($t, '0105', 3);
	my $dst = log_path($t, '0150', 10);
	system('cp', $src, $dst) == 0 or die;
}
is(statuses($t), expect(L10 => 'unlisted'), 'a file no digest lists, inside a covered hour: unlisted');

$t = copy_tree($intact);
edit_gz(digest_path($t, '02'), sub { my $d = shift; $d =~ s/"logFiles":/"logFiles": /; $d });
is(statuses($t), expect(D2 => 'modified'), 'a digest edited: modified');

$t = copy_tree($intact);
{
	my $from = digest_path($t, '02');
	(my $to = $from) =~ s{/2025/03/04/}{/2025/03/05/};
	make_path($to =~ s{/[^/]+$}{}r);
	move($from, $to) or die;
}
is(statuses($t), expect(D2 => 'misplaced'), 'a digest moved: misplaced');

$t = make_tree('restart');
is(statuses($t), expect(D3 => 'chain_restarted'), 'a chain restarted');
like($node->safe_psql('postgres',
		"SELECT detail FROM trail.verify('$t/AWSLogs', signatures => "
		  . sql_quote(slurp_file_text("$t/signatures.json"))
		  . "::jsonb) WHERE status = 'chain_restarted'"),
	qr/no digest covers 2025-03-04 02:00:00\+00 to 2025-03-04 02:00:00\+00/,
	'chain_restarted: the detail gives the gap');

$t = make_tree('nokey');
is(statuses($t), expect(D2 => 'unverified'), 'a key missing: unverified');

$t = make_tree('badsig');
is(statuses($t), expect(D2 => 'signature_invalid'), 'a bad signature: signature_invalid');
@py = `python3 $tool check $t`;
is(join('', map { label((split / /)[0]) . ' ' . (split / /)[1] } @py),
	"D1 ok\nD2 bad\nD3 ok\nD4 ok\n", 'Python rejects the same signature');

$t = make_tree('expired');
is(statuses($t), expect(D2 => 'signature_invalid'),
	'a key outside its validity: signature_invalid');

# a bad signature given for the newest digest
{
	my $sigs = slurp_file_text("$intact/signatures.json");
	$sigs =~ s/"[0-9a-f]{10}/"0000000000/;
	is(statuses($intact, $sigs), expect(D4 => 'signature_invalid'),
		'a wrong signature given for the newest digest: signature_invalid');
}

# a digest that is not JSON, one lacking a required key, a hash not hex
$t = copy_tree($intact);
edit_gz(digest_path($t, '01'), sub { "{not json" });
edit_gz(digest_path($t, '02'), sub { my $d = shift; $d =~ s/"digestS3Object":"[^"]*",//; $d });
edit_gz(digest_path($t, '03'), sub { my $d = shift; $d =~ s/"hashValue":"[0-9a-f]/"hashValue":"x/; $d });
{
	my $out = $node->safe_psql('postgres',
		"SELECT status, detail FROM trail.verify('$t/AWSLogs') WHERE object = 'digest' ORDER BY path");
	like($out, qr/^unreadable\|document is not valid JSON\. The JSON parser stopped at byte 2 of 9\.
unreadable\|digest has no "digestS3Object" key\.
unreadable\|logFiles entry 1 has "hashValue" that is not a SHA-256 in hex: "x[0-9a-f]{63}"\.
unverified\|/,
		'unreadable digests are rows that say why')
	  or diag $out;
}

# verified_only: a foreign table that reads only files proven intact
{
	my $v = copy_tree($intact);
	my $sigs = sql_quote(slurp_file_text("$v/signatures.json"));
	$node->safe_psql('postgres', qq{
		CREATE SERVER verified FOREIGN DATA WRAPPER trail_fdw;
		CREATE FOREIGN TABLE proven (event_id uuid, source_file text)
		  SERVER verified OPTIONS (location '$v/AWSLogs', verified_only 'true');
		CREATE FOREIGN TABLE everything (event_id uuid, source_file text)
		  SERVER verified OPTIONS (location '$v/AWSLogs');});
	is($node->safe_psql('postgres', 'SELECT count(*) FROM proven'), '0',
		'verified_only before any verification: nothing');
	like($node->safe_psql('postgres', 'EXPLAIN (COSTS OFF) SELECT * FROM proven'),
		qr/Trail Files: 0 of 9\n.*Trail Verified Only: 9 files left out: 9 never verified, 0 not valid, 0 changed since verified/,
		'EXPLAIN says why files were left out');
	$node->safe_psql('postgres',
		"SELECT count(*) FROM trail.verify('$v/AWSLogs', signatures => ${sigs}::jsonb)");
	is($node->safe_psql('postgres', 'SELECT count(*) FROM proven'), '16',
		'after verify: the 16 events of the 8 valid files, not the uncovered one');
	is($node->safe_psql('postgres', 'SELECT count(*) FROM everything'), '17',
		'without the option: all 17');

	# a file changed after its verdict is left out until verified again
	edit_gz(log_path($v, '0105', 3), sub { my $d = shift; $d =~ s/DescribeInstances/DescribeInstanceZ/; $d });
	utime(time + 5, time + 5, log_path($v, '0105', 3));
	is($node->safe_psql('postgres', 'SELECT count(*) FROM proven'), '14',
		'a file changed since its verdict is left out');
	like($node->safe_psql('postgres', 'EXPLAIN (COSTS OFF) SELECT * FROM proven'),
		qr/Trail Verified Only: 2 files left out: 0 never verified, 1 not valid, 1 changed since verified/,
		'EXPLAIN: changed since verified');
	$node->safe_psql('postgres',
		"SELECT count(*) FROM trail.verify('$v/AWSLogs', signatures => ${sigs}::jsonb)");
	is($node->safe_psql('postgres',
		'SELECT status FROM trail.verdict WHERE path = ' . sql_quote(log_path($v, '0105', 3))),
		'modified', 'verified again: modified');
	is($node->safe_psql('postgres', 'SELECT count(*) FROM proven'), '14',
		'a modified file stays out');

	# valid hashes under a digest whose signature failed are not proven
	my $b = make_tree('badsig');
	$node->safe_psql('postgres', qq{
		CREATE FOREIGN TABLE proven_bad (event_id uuid)
		  SERVER verified OPTIONS (location '$b/AWSLogs', verified_only 'true');
		SELECT count(*) FROM trail.verify('$b/AWSLogs', signatures => }
		  . sql_quote(slurp_file_text("$b/signatures.json")) . '::jsonb)');
	is($node->safe_psql('postgres', 'SELECT count(*) FROM proven_bad'), '12',
		'the logs of a digest with a bad signature are left out');
}

# the verdicts: written in batches (2000 rows a statement), with the size
# and modification time of the file as it was hashed, all or nothing with
# the transaction
{
	my $v = copy_tree($intact);
	my $sigs = sql_quote(slurp_file_text("$v/signatures.json"));
	my $verify = "SELECT count(*) FROM trail.verify('$v/AWSLogs', signatures => ${sigs}::jsonb)";
	my $mine = "FROM trail.verdict WHERE path LIKE " . sql_quote("$v/%");
	# 4500 log files no digest covers: three batches of verdicts
	my $dir = "$v/AWSLogs/111122223333/CloudTrail/us-east-1/2025/03/10";
	make_path($dir);
	for my $i (1 .. 4500)
	{
		copy(log_path($v, '0105', 3),
			sprintf('%s/111122223333_CloudTrail_us-east-1_20250310T0000Z_X%015d.json.gz', $dir, $i))
		  or die "copy failed: $!";
	}
	my ($rc, $out, $err) = $node->psql('postgres', "BEGIN; $verify; ROLLBACK;");
	is($out, '4513', 'a verification in a transaction rolled back: its rows');
	is($node->safe_psql('postgres', "SELECT count(*) $mine"), '0',
		'rolled back: none of its verdicts is kept');
	($rc, $out, $err) = $node->psql('postgres', "BEGIN; $verify; SELECT 1/0; COMMIT;");
	like($err, qr/division by zero/, 'a transaction that fails after verify');
	is($node->safe_psql('postgres', "SELECT count(*) $mine"), '0',
		'failed: none of its verdicts is kept');
	is($node->safe_psql('postgres', $verify), '4513', 'verified: 4513 rows');
	is($node->safe_psql('postgres',
		"SELECT status, count(*) $mine GROUP BY 1 ORDER BY 1"),
		"not_covered|4501\nvalid|12",
		'every file on disk has its verdict, past the first batches');
	is($node->safe_psql('postgres',
		"SELECT count(*) $mine AND (size <> (pg_stat_file(path)).size OR mtime <> (pg_stat_file(path)).modification)"),
		'0', 'each verdict has the size and modification time of its file');

	# a file whose size changed since its verdict: verified again, its
	# verdict has the new size; a file deleted since: its verdict is gone
	my $l3 = log_path($v, '0105', 3);
	my $old_size = -s $l3;
	edit_gz($l3, sub { my $d = shift; $d =~ s/DescribeInstances/DescribeInstancesAgain/; $d });
	utime(time + 5, time + 5, $l3);
	isnt(-s $l3, $old_size, 'the edited file has another size');
	unlink log_path($v, '0135', 4) or die;
	is($node->safe_psql('postgres', $verify), '4513', 'verified again');
	is($node->safe_psql('postgres',
		"SELECT status, size = (pg_stat_file(path)).size, size <> $old_size, mtime = (pg_stat_file(path)).modification $mine AND path = "
		  . sql_quote($l3)),
		'modified|t|t|t', 'a file changed since its verdict: the new verdict has its new size and time');
	is($node->safe_psql('postgres',
		"SELECT count(*) $mine AND path = " . sql_quote(log_path($v, '0135', 4))),
		'0', 'a file deleted since its verdict: the verdict is forgotten');
	is($node->safe_psql('postgres',
		"SELECT status, count(*) $mine GROUP BY 1 ORDER BY 1"),
		"modified|1\nnot_covered|4501\nvalid|10",
		'the other verdicts are as they were');
}

# digests as a time index: a record delivered two days after its event is
# found by a one-day query when a digest lists its file
{
	my $l = make_tree('late');
	is(statuses($l), expect(D5 => 'valid', L11 => 'valid'), 'late: the tree verifies');
	$node->safe_psql('postgres', qq{
		CREATE FOREIGN TABLE late (event_id uuid, event_time timestamptz)
		  SERVER verified OPTIONS (location '$l/AWSLogs');});
	my $day = q{SELECT count(*) FROM late WHERE event_time >= '2025-03-04T00:00:00Z' AND event_time < '2025-03-05T00:00:00Z'};
	is($node->safe_psql('postgres', $day), '18',
		'a one-day query finds the record delivered two days late');
	my $plan = $node->safe_psql('postgres', "EXPLAIN (COSTS OFF) $day");
	like($plan, qr/Trail Files: 10 of 10\n.*Trail Folders: \d+ walked, 1 skipped; 1 late file added from digests/,
		'EXPLAIN: every file of the day is read, the late one added by its digest from a folder the walk skipped');
	like($plan, qr/Trail Time Pruning: 0 files pruned by digest event ranges, 0 by delivery time; 9 kept by digest event ranges/,
		'EXPLAIN: the late file is kept by its digest event range');

	my $d2 = q{SELECT count(*) FROM late WHERE event_time >= '2025-03-04T02:00:00Z' AND event_time < '2025-03-04T03:00:00Z'};
	is($node->safe_psql('postgres', $d2), '4', 'an hour: its four records');
	like($node->safe_psql('postgres', "EXPLAIN (COSTS OFF) $d2"),
		qr/Trail Files: 3 of 9\n.*Trail Folders: \d+ walked, 1 skipped\n.*Trail Time Pruning: 6 files pruned by digest event ranges, 0 by delivery time; 2 kept by digest event ranges/s,
		'EXPLAIN: exact pruning by digest ranges; the file no digest lists is kept by the delivery guess');
	my $d3 = q{SELECT count(*) FROM late WHERE event_time >= '2025-03-04T05:00:00Z' AND event_time < '2025-03-04T06:00:00Z'};
	is($node->safe_psql('postgres', $d3), '0', 'an hour without events');
	like($node->safe_psql('postgres', "EXPLAIN (COSTS OFF) $d3"),
		qr/Trail Files: 0 of 9\n.*Trail Folders: \d+ walked, 1 skipped\n.*Trail Time Pruning: 8 files pruned by digest event ranges, 1 by delivery time; 0 kept by digest event ranges/s,
		'EXPLAIN: which files digest ranges pruned and which the delivery guess');

	# digests are read up to trail.digest_lookahead after the window: a file
	# delivered later is left out, whether or not the walk skips its folder
	for my $fp ('on', 'off')
	{
		is($node->safe_psql('postgres',
				"SET trail.digest_lookahead = '1 day'; SET trail.folder_pruning = $fp; $day"),
			'17', "a lookahead of one day leaves the file two days late out (folder pruning $fp)");
		is($node->safe_psql('postgres',
				"SET trail.digest_lookahead = '3 days'; SET trail.folder_pruning = $fp; $day"),
			'18', "a lookahead of three days finds it (folder pruning $fp)");
	}

	# without the digest that lists it, the delivery guess misses it (as before)
	unlink digest_path($l, '01') =~ s{/04/(.*)_20250304T010000Z}{/06/$1_20250306T010000Z}r or die;
	is($node->safe_psql('postgres', $day), '17',
		'without its digest, the late record is outside the delivery guess');
}

done_testing();
