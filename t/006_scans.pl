# t/006_scans.pl — what the scan front ends promise across executions:
#   - memory stays flat over 200,000 LATERAL calls of trail.parse (the
#     CustomScan and the FunctionScan it leaves WITH ORDINALITY to) and over
#     1,500 rescans of a foreign table and of trail.read;
#   - a parallel scan shares its files: workers were launched and each
#     read files;
#   - pruning by folder trusts folders, and says so when a record
#     contradicts its folder; trail.folder_pruning = off reads it;
#   - the walk does not open the folders the quals rule out, nor digest
#     folders without time quals;
#   - listings kept across statements are used only while the directory's
#     times say it has not changed: every change is seen by the next
#     statement.
use strict;
use warnings;

use File::Path qw(make_path);
use IO::Compress::Gzip qw(gzip $GzipError);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('scans');
$node->init;
# JIT would load LLVM into the backend and its pages count as peak memory
$node->append_conf('postgresql.conf',
	"max_worker_processes = 8\nmax_parallel_workers = 4\njit = off\n");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION trail');

my $dir = PostgreSQL::Test::Utils::tempdir();

sub record
{
	my (%f) = @_;
	return sprintf '{"eventVersion":"1.08","eventTime":"%s","eventSource":"%s",'
	  . '"eventName":"%s","awsRegion":"%s","recipientAccountId":"%s",'
	  . '"eventCategory":"%s","readOnly":%s,"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::%s:user/u"}}',
	  $f{time}, $f{source} // 'ec2.amazonaws.com', $f{name}, $f{region},
	  $f{account}, $f{category} // 'Management', $f{read_only} // 'true',
	  $f{account};
}

# write AWSLogs/<account>/<folder>/<region>/2025/03/04/<file>.json.gz
sub log_file
{
	my ($root, $account, $folder, $region, $hhmm, $tag, @records) = @_;
	my $path = "$root/AWSLogs/$account/$folder/$region/2025/03/04";
	make_path($path);
	my $file = sprintf '%s/%s_%s_%s_20250304T%sZ_%s.json.gz', $path, $account,
	  $folder, $region, $hhmm, $tag;
	my $json = '{"Records":[' . join(',', @records) . ']}';
	gzip(\$json => $file) or die $GzipError;
	return $file;
}

# the backend's peak memory in kB, and a query's growth of it
sub peak_kb_sql
{
	return q{SELECT 'peak ' || (regexp_match(pg_read_file('/proc/self/status'), 'VmHWM:\s+(\d+)'))[1]};
}

sub growth_mb
{
	my ($setup, $query) = @_;
	my $out = $node->safe_psql('postgres',
		"$setup; " . peak_kb_sql() . "; $query; " . peak_kb_sql());
	my ($before, $after) = $out =~ /^peak (\d+)$/mg;
	return ($after - $before) / 1024.0;
}

# ---------------------------------------------------------------------------
# A tree of 300 small files in two accounts and two regions.

my $tree = "$dir/tree";
my $n = 0;
for my $i (0 .. 299)
{
	my $account = $i % 2 ? '111122223333' : '444455556666';
	my $region = $i % 3 ? 'us-east-1' : 'eu-west-1';
	my @recs = map {
		$n++;
		record(
			time => sprintf('2025-03-04T%02d:%02d:%02dZ', int($i / 60) + 1, $i % 60, $_),
			name => "E" . ($n % 7),
			region => $region,
			account => $account,
			read_only => ($n % 2 ? 'true' : 'false'))
	} 1 .. 20;
	log_file($tree, $account, 'CloudTrail', $region,
		sprintf('%02d%02d', int($i / 60) + 1, $i % 60),
		sprintf('T%05d', $i), @recs);
}
$node->safe_psql('postgres', qq{
	CREATE SERVER s FOREIGN DATA WRAPPER trail_fdw;
	CREATE FOREIGN TABLE events (event_time timestamptz, event_name text,
	  recipient_account_id text, aws_region text, read_only boolean,
	  event_category trail.event_category)
	  SERVER s OPTIONS (location '$tree/AWSLogs');
});
is($node->safe_psql('postgres', 'SELECT count(*) FROM events'), $n,
	"the tree holds $n records");

# ---------------------------------------------------------------------------
# Memory over many executions.

$node->safe_psql('postgres', q{
	CREATE TABLE docs AS
	SELECT g, format('{"eventVersion":"1.08","eventName":"E%s","eventTime":"2025-03-04T00:00:00Z","requestParameters":{"n":%s}}', g, g) AS doc
	FROM generate_series(1, 200000) g;
});
# the table's pages in shared buffers count as the backend's memory too:
# read them before measuring
my $mb = growth_mb('SELECT count(*) FROM docs',
	'SELECT count(p.event_name), sum((p.request_parameters->>\'n\')::int) FROM docs d, LATERAL trail.parse(d.doc) p');
cmp_ok($mb, '<', 40, sprintf('200,000 LATERAL calls of trail.parse: peak grew %.1f MB', $mb));
$mb = growth_mb('SELECT count(*) FROM docs',
	'SELECT count(p) FROM docs d, LATERAL trail.parse(d.doc) p');
cmp_ok($mb, '<', 40, sprintf('the same with the whole row (formed in the CustomScan): peak grew %.1f MB', $mb));
$mb = growth_mb('SELECT count(*) FROM docs',
	'SELECT count(p) FROM docs d, LATERAL trail.parse(d.doc) WITH ORDINALITY p');
cmp_ok($mb, '<', 40, sprintf('the same WITH ORDINALITY (a FunctionScan): peak grew %.1f MB', $mb));

$mb = growth_mb('SET max_parallel_workers_per_gather = 0',
	q{SELECT sum((SELECT count(*) FROM events e WHERE e.event_name = 'E' || (g % 7)::text
	      AND e.recipient_account_id = CASE WHEN g % 2 = 0 THEN '111122223333' ELSE '444455556666' END))
	  FROM generate_series(1, 1500) g});
cmp_ok($mb, '<', 40, sprintf('1,500 rescans of a foreign table: peak grew %.1f MB', $mb));

$mb = growth_mb('SELECT 1',
	qq{SELECT sum((SELECT count(*) FROM trail.read('$tree/AWSLogs') e WHERE e.event_name = 'E' || (g % 7)::text
	      AND e.aws_region = 'eu-west-1'))
	  FROM generate_series(1, 1500) g});
cmp_ok($mb, '<', 40, sprintf('1,500 rescans of trail.read: peak grew %.1f MB', $mb));

# ---------------------------------------------------------------------------
# A parallel scan shares its files between processes.

my $parallel = q{
	SET max_parallel_workers_per_gather = 2;
	SET parallel_setup_cost = 0;
	SET parallel_tuple_cost = 0;
	SET min_parallel_table_scan_size = 0;
	SET parallel_leader_participation = off;
};
my ($launched, @per_worker);
for my $try (1 .. 5)
{
	my $plan = $node->safe_psql('postgres',
		"$parallel EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT count(*) FROM events WHERE event_name <> 'E0'");
	($launched) = $plan =~ /Workers Launched: (\d+)/;
	@per_worker = $plan =~ /worker \d+ (\d+)/g;
	last if defined $launched && $launched == 2 && @per_worker == 2
	  && !grep { $_ == 0 } @per_worker;
}
is($launched, 2, 'two workers were launched');
is(scalar(@per_worker), 2, 'EXPLAIN ANALYZE counts the files of each worker');
ok(@per_worker == 2 && $per_worker[0] > 0 && $per_worker[1] > 0,
	"each worker read files (@per_worker of 300)");
is($per_worker[0] + $per_worker[1], 300, 'together every file once');
is($node->safe_psql('postgres', "$parallel SELECT count(*) FROM events WHERE event_name <> 'E0'"),
	$node->safe_psql('postgres', "SET max_parallel_workers_per_gather = 0; SELECT count(*) FROM events WHERE event_name <> 'E0'"),
	'and the parallel count equals the serial one');

# ---------------------------------------------------------------------------
# Records that contradict their folder.

my $odd = "$dir/odd";
log_file($odd, '111122223333', 'CloudTrail', 'us-east-1', '0915', 'A0000001',
	record(time => '2025-03-04T09:10:00Z', name => 'Mine', region => 'us-east-1',
		account => '111122223333'),
	record(time => '2025-03-04T09:11:00Z', name => 'Stray', region => 'us-east-1',
		account => '444455556666'));
log_file($odd, '444455556666', 'CloudTrail', 'eu-west-1', '0915', 'B0000001',
	record(time => '2025-03-04T09:10:00Z', name => 'Theirs', region => 'eu-west-1',
		account => '444455556666'),
	record(time => '2025-03-04T09:12:00Z', name => 'Vpce', region => 'eu-west-1',
		account => '444455556666', category => 'NetworkActivity'));
# a file copied into another account's folder: its first record shows it
log_file($odd, '111122223333', 'CloudTrail', 'us-east-1', '0920', 'C0000001',
	record(time => '2025-03-04T09:15:00Z', name => 'Moved', region => 'us-east-1',
		account => '444455556666'));
$node->safe_psql('postgres',
	"CREATE FOREIGN TABLE odd (event_name text, recipient_account_id text, aws_region text, event_category trail.event_category) SERVER s OPTIONS (location '$odd/AWSLogs')");
my ($ret, $stdout, $stderr) = $node->psql('postgres',
	"SELECT string_agg(event_name, ',' ORDER BY event_name) FROM odd WHERE recipient_account_id = '111122223333'");
is($stdout, 'Mine', 'pruning by folder skips the file whose folder is another account');
like($stderr, qr/WARNING:  CloudTrail file ".*A0000001.json.gz" holds a record that does not belong to its folder/,
	'and the stray record in the file it read is reported');
like($stderr, qr/Record 2 has recipientAccountId "444455556666", but the file is in the account "111122223333"/,
	'naming the record and the field');
like($stderr, qr/HINT:  Turn pruning by folder off with SET trail.folder_pruning = off/,
	'and how to turn folder pruning off');
is(() = $stderr =~ /WARNING/g, 1, 'once per scan');
($ret, $stdout, $stderr) = $node->psql('postgres',
	"SET trail.folder_pruning = off; SELECT string_agg(event_name, ',' ORDER BY event_name) FROM odd WHERE recipient_account_id = '444455556666'");
is($stdout, 'Moved,Stray,Theirs,Vpce', 'with folder pruning off the stray records are found');
is($stderr, '', 'without a warning');
$node->safe_psql('postgres', "CREATE FOREIGN TABLE odd_off (event_name text, recipient_account_id text) SERVER s OPTIONS (location '$odd/AWSLogs', folder_pruning 'false')");
is($node->safe_psql('postgres',
		"SELECT string_agg(event_name, ',' ORDER BY event_name) FROM odd_off WHERE recipient_account_id = '444455556666'"),
	'Moved,Stray,Theirs,Vpce', 'and with the table option');
($ret, $stdout, $stderr) = $node->psql('postgres',
	"SELECT string_agg(event_name, ',' ORDER BY event_name) FROM trail.read('$odd/AWSLogs') WHERE aws_region = 'eu-west-1'");
is($stdout, 'Theirs,Vpce', 'trail.read prunes by folder too');
like($stderr, qr/Record 2 has eventCategory "NetworkActivity", but the file is in the folder "CloudTrail"/,
	'and reports a record of another category');
($ret, $stdout, $stderr) = $node->psql('postgres',
	"SELECT count(*) FROM trail.read('$odd/AWSLogs') WHERE event_time > '2025-03-01'");
like($stderr, qr/C0000001.json.gz" holds a record.*\n.*Record 1 has recipientAccountId "444455556666"/,
	'a scan that does not prune by folder checks the first record of each file');
($ret, $stdout, $stderr) = $node->psql('postgres',
	"SET trail.folder_pruning = off; SELECT count(*) FROM trail.read('$odd/AWSLogs')");
is($stderr, '', 'and with folder pruning off nothing is checked');

# a file in another day's folder than its name's delivery day: the walk
# skips day folders by their dates, so the scan that reads it warns
{
	my $misfiled = "$dir/misfiled";
	my $f = log_file($misfiled, '111122223333', 'CloudTrail', 'us-east-1', '0915', 'D0000001',
		record(time => '2025-03-04T09:10:00Z', name => 'Misfiled', region => 'us-east-1',
			account => '111122223333'));
	make_path("$misfiled/AWSLogs/111122223333/CloudTrail/us-east-1/2025/03/01");
	rename $f, ($f =~ s{/03/04/}{/03/01/}r) or die;
	my $q = "SELECT count(*) FROM trail.read('$misfiled/AWSLogs') WHERE event_time >= '2025-03-04'";
	($ret, $stdout, $stderr) = $node->psql('postgres', $q);
	is($stdout, '0', 'a time window skips the day folder the misfiled file is in');
	($ret, $stdout, $stderr) = $node->psql('postgres',
		"SELECT count(*) FROM trail.read('$misfiled/AWSLogs')");
	is($stdout, '1', 'a scan of everything reads it');
	like($stderr, qr/WARNING:  CloudTrail file ".*D0000001.json.gz" is not in the folder of its delivery day\n.*delivered on 2025-03-04 \(UTC\), but it is in the folder of 2025-03-01/,
		'and warns that it is not in its delivery day\'s folder');
	($ret, $stdout, $stderr) = $node->psql('postgres', "SET trail.folder_pruning = off; $q");
	is($stdout, '1', 'with folder pruning off the time window finds it');
	is($stderr, '', 'without a warning');
	# one statement, two walks of the location: one trusting folders, one not
	$node->safe_psql('postgres', qq{
		CREATE FOREIGN TABLE misfiled_on (event_time timestamptz) SERVER s OPTIONS (location '$misfiled/AWSLogs');
		CREATE FOREIGN TABLE misfiled_off (event_time timestamptz) SERVER s OPTIONS (location '$misfiled/AWSLogs', folder_pruning 'false');});
	($ret, $stdout, $stderr) = $node->psql('postgres',
		"SELECT (SELECT count(*) FROM misfiled_on WHERE event_time >= '2025-03-04'), (SELECT count(*) FROM misfiled_off WHERE event_time >= '2025-03-04')");
	is($stdout, '0|1', 'two scans of one location in a statement walk by their own folder trust');
}

# the walk: a count(*) without time quals does not open digest folders (an
# unreadable one is not even seen); a time window does, and skips the day
# folders it rules out
my $w = "$dir/walk";
for my $day ('03', '04', '05')
{
	my $f = log_file($w, '111122223333', 'CloudTrail', 'us-east-1', '1200', "W$day",
		record(time => "2025-03-${day}T11:00:00Z", name => "Walk$day", region => 'us-east-1',
			account => '111122223333'));
	rename $f, $f =~ s{/2025/03/04/(.*)_20250304T}{/2025/03/$day/$1_202503${day}T}r
	  or (make_path($f =~ s{/2025/03/04/.*}{/2025/03/$day}r)
		&& rename $f, $f =~ s{/2025/03/04/(.*)_20250304T}{/2025/03/$day/$1_202503${day}T}r)
	  or die "rename: $!";
}
my $digests = "$w/AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2025/03/04";
make_path($digests);
open my $dfh, '>', "$digests/111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20250304T130000Z.json" or die $!;
print $dfh '{}';
close $dfh;
chmod 0, $digests or die $!;
$node->safe_psql('postgres', "CREATE FOREIGN TABLE walk (event_name text, event_time timestamptz) SERVER s OPTIONS (location '$w')");
($ret, $stdout, $stderr) = $node->psql('postgres', 'SELECT count(*) FROM walk');
is($stdout, '3', 'count(*) without time quals: every log file');
is($stderr, '', 'without opening the unreadable digest folder: no digest is read');
like($node->safe_psql('postgres', 'EXPLAIN (COSTS OFF) SELECT count(*) FROM walk'),
	qr/Trail Files: 3 of 3\n.*Trail Folders: \d+ walked, 1 skipped/,
	'EXPLAIN: the digest folder is skipped');
($ret, $stdout, $stderr) = $node->psql('postgres', "SELECT count(*) FROM trail.read('$w')");
is($stderr, '', 'nor does trail.read');
($ret, $stdout, $stderr) = $node->psql('postgres',
	"SELECT count(*) FROM walk WHERE event_time >= '2025-03-04 10:00' AND event_time < '2025-03-04 11:30'");
like($stderr, qr/could not open directory ".*CloudTrail-Digest.*": Permission denied/,
	'with time quals the digests are wanted, and the unreadable folder is reported');
chmod 0755, $digests or die $!;
is($node->safe_psql('postgres',
		"SELECT string_agg(event_name, ',' ORDER BY event_name) FROM walk WHERE event_time >= '2025-03-04 10:00' AND event_time < '2025-03-04 11:30'"),
	'Walk04', 'a window of an hour and a half finds its record');
like($node->safe_psql('postgres',
		"EXPLAIN (COSTS OFF) SELECT count(*) FROM walk WHERE event_time >= '2025-03-04 10:00' AND event_time < '2025-03-04 11:30'"),
	qr/Trail Files: 1 of 1\n.*Trail Folders: \d+ walked, 2 skipped\n/,
	'EXPLAIN: the day folders before and after the window are skipped');

# ---------------------------------------------------------------------------
# Listings kept across statements (by each session), while the directory's
# times say it has not changed.  One session runs the statements, and
# psql's \! changes the tree between them.
{
	my $k = "$dir/kept";
	my $spare = "$dir/kept-spare";
	my $mk = sub {
		my ($root, $h) = @_;
		return log_file($root, '111122223333', 'CloudTrail', 'eu-west-1', sprintf('%02d00', $h), "k$h",
			record(time => sprintf('2025-03-04T%02d:10:00Z', $h), name => "Kept$h",
				region => 'eu-west-1', account => '111122223333'));
	};
	my @files = map { $mk->($k, $_) } 1 .. 3;
	# files to move in later, from a tree of their own
	my @later = map { $mk->($spare, $_) } 4 .. 5;
	my $day = "$k/AWSLogs/111122223333/CloudTrail/eu-west-1/2025/03/04";
	my $old = time() - 3600;
	my @dirs = ($k);
	for my $part (split m{/}, 'AWSLogs/111122223333/CloudTrail/eu-west-1/2025/03/04')
	{
		push @dirs, "$dirs[-1]/$part";
	}
	# a tree that settled an hour ago; its change times are now, so wait
	# until they have settled too
	utime($old, $old, @dirs) or die $!;
	sleep 3;

	my $n = @dirs;
	my $hidden = (split m{/}, $later[1])[-1];
	# each step: a change to the tree (or none), then a count; the count it
	# must give, how many listings it must keep, and what it shows
	my @steps = (
		[ '', 3, 0, 'the first walk lists every folder' ],
		[ '', 3, $n, 'the second keeps them all' ],
		[ "mv $later[0] $day/", 4, $n - 1, 'a file moved in: its folder is listed again' ],
		[ '', 4, $n - 1, 'a folder that had just changed is not kept' ],
		[ "touch -m -d \@$old $day && sleep 3", 4, $n - 1, 'once settled, it is listed and kept' ],
		[ '', 4, $n, 'and then kept' ],
		[ "mv $later[1] $day/ && touch -m -d \@$old $day", 5, $n - 1,
			'a file moved in with the modification time set back: the change time tells' ],
		[ "rm $day/$hidden", 4, $n - 1, 'a removed file is gone' ],
		[ "mv $files[0] $day/.hidden.json.gz", 3, $n - 1, 'a file renamed to a hidden name is gone' ],
		[ "touch $day", 3, $n - 1, 'a touched folder is listed again ...' ],
		[ '', 3, $n - 1, '... and again, while its change is that recent' ],
		[ 'sleep 3', 3, $n - 1, 'settled, it is listed once more' ],
		[ '', 3, $n, 'and kept' ],
		[ 'SET trail.listing_cache_size = 0', 3, 0, 'trail.listing_cache_size = 0: every folder is listed' ],
		[ 'RESET trail.listing_cache_size', 3, 0, 'setting it again starts afresh' ],
		[ '', 3, $n, 'and keeps them again' ]);
	my $script = "SET client_min_messages = debug1;\n";
	for my $step (@steps)
	{
		my $change = $step->[0];
		$script .= $change =~ /^(SET|RESET) / ? "$change;\n" : "\\! $change\n" if $change ne '';
		$script .= "SELECT count(*) FROM trail.read('$k');\n";
	}
	# unreadable after it was kept: reported, not served from memory
	$script .= "\\! chmod 000 $day\nSELECT count(*) FROM trail.read('$k');\n";
	my ($ret, $out, $err) = $node->psql('postgres', $script);
	chmod 0755, $day or die $!;

	my @counts = split /\n/, $out;
	my @kept;
	while ($err =~ /walked (\d+) directories under "\Q$k\E", (\d+) of them from kept listings/g)
	{
		push @kept, $2;
	}
	for my $i (0 .. $#steps)
	{
		is($counts[$i] . ' rows, ' . ($kept[$i] // 'no walk') . ' kept',
			"$steps[$i][1] rows, $steps[$i][2] kept", "kept listings: $steps[$i][3]");
	}
	like($err, qr/could not open directory ".*2025\/03\/04": Permission denied/,
		'kept listings: a folder made unreadable after it was kept is reported');
}
$node->stop;
done_testing();
