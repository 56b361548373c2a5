# t/009_store_sync.pl — trail.sync loads every event exactly once:
#   - when the backend running it is killed (SIGKILL) in the middle of a
#     batch, the server recovers without the batch, and the next sync loads
#     the rest: the store holds every event once, as many as were written;
#   - when two syncs of one store run at the same time, the second one
#     gives up at once with a clear message (or waits, with wait => true),
#     and every file is loaded once;
#   - a sync with nothing new joins the files with the manifest in one pass
#     even when the manifest's statistics say it is empty (a nested loop
#     would read the manifest once for each file).
use strict;
use warnings;

use File::Path qw(make_path);
use IO::Compress::Gzip qw(gzip $GzipError);
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('store');
$node->init;
$node->append_conf('postgresql.conf', "restart_after_crash = on\n");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION trail');

my $dir = PostgreSQL::Test::Utils::tempdir();

# A tree of $nfiles files with $per records each, every event with its own
# eventID; returns the number of records written (the independent count).
sub make_tree
{
	my ($root, $nfiles, $per, $seed) = @_;
	my $n = 0;
	for my $i (0 .. $nfiles - 1)
	{
		my $day = 4 + int($i / 100);
		my $min = $i % 100;
		my $path = sprintf '%s/AWSLogs/111122223333/CloudTrail/us-east-1/2025/03/%02d',
		  $root, $day;
		make_path($path);
		my @recs;
		for my $j (1 .. $per)
		{
			$n++;
			push @recs,
			  sprintf '{"eventVersion":"1.09","eventTime":"2025-03-%02dT%02d:%02d:%02dZ",'
			  . '"eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1",'
			  . '"eventID":"%08x-0000-4000-8000-%012x","recipientAccountId":"111122223333",'
			  . '"requestParameters":{"bucketName":"b","key":"k%d"},'
			  . '"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/u"}}',
			  $day, int($min / 5), $min % 60, $j % 60, $seed, $n, $j;
		}
		my $json = '{"Records":[' . join(',', @recs) . ']}';
		my $file = sprintf '%s/111122223333_CloudTrail_us-east-1_202503%02dT%02d%02dZ_F%05d.json.gz',
		  $path, $day, int($min / 5) + 1, $min % 60, $i;
		gzip(\$json => $file) or die $GzipError;
	}
	return $n;
}

# the state of a store: rows, distinct events, manifest files and events
sub store_state
{
	my ($store) = @_;
	return $node->safe_psql('postgres',
		"SELECT count(*), count(DISTINCT event_id), count(DISTINCT (source_file, record_index)),
		        (SELECT count(*) FROM trail.synced_file WHERE store = '$store'::regclass),
		        (SELECT sum(events) FROM trail.synced_file WHERE store = '$store'::regclass)
		 FROM $store");
}

# start "CALL trail.sync(...)" in its own psql; returns the harness
sub start_sync
{
	my ($call, $out, $err) = @_;
	return IPC::Run::start(
		[ 'psql', '-X', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr('postgres'), '-c', $call ],
		'>', $out, '2>', $err);
}

# ---------------------------------------------------------------------------
# SIGKILL in the middle of a batch

my $tree = "$dir/crash";
my $written = make_tree($tree, 300, 200, 1);
$node->safe_psql('postgres', "CREATE SCHEMA s; SELECT trail.create_store('s.crash')");

my ($out, $err) = ('', '');
my $h = start_sync("CALL trail.sync('s.crash', '$tree/AWSLogs', batch_size => 20)", \$out, \$err);

# Wait until a batch has committed and the next one has written rows that
# are not committed yet (the backend has a transaction id), then kill it.
my $pid = '';
my $deadline = time + $PostgreSQL::Test::Utils::timeout_default;
while (time < $deadline)
{
	$pid = $node->safe_psql('postgres',
		"SELECT a.pid FROM pg_stat_activity a
		 WHERE a.query LIKE 'CALL trail.sync(''s.crash''%' AND a.backend_xid IS NOT NULL
		   AND (SELECT count(*) FROM trail.synced_file) > 0");
	last if $pid ne '';
	select(undef, undef, undef, 0.02);
}
isnt($pid, '', 'a sync was caught in the middle of a batch');
my $before = $node->safe_psql('postgres', 'SELECT count(*) FROM trail.synced_file');
kill 'KILL', $pid;
$h->finish;
isnt($?, 0, 'the killed sync failed');

# the postmaster restarts the server after the crash
$node->poll_query_until('postgres', 'SELECT true')
  or die 'the server did not come back after the crash';
my ($files_after_crash) = $node->safe_psql('postgres', 'SELECT count(*) FROM trail.synced_file');
cmp_ok($files_after_crash, '>', 0, 'the batches committed before the kill are still there');
cmp_ok($files_after_crash, '<', 300, 'the sync was killed before the end');
is($node->safe_psql('postgres',
		'SELECT count(*) = (SELECT sum(events) FROM trail.synced_file) FROM s.crash'),
	't', 'after the crash the store holds exactly the rows of the files in its manifest');

$node->safe_psql('postgres', "CALL trail.sync('s.crash', '$tree/AWSLogs', batch_size => 20)");
is(store_state('s.crash'), "$written|$written|$written|300|$written",
	'after a second sync every event is in the store once');

# ---------------------------------------------------------------------------
# Two syncs at once

$tree = "$dir/concurrent";
$written = make_tree($tree, 300, 100, 2);
$node->safe_psql('postgres', "SELECT trail.create_store('s.conc')");

my ($out_a, $err_a, $out_b, $err_b) = ('', '', '', '');
my $a = start_sync("CALL trail.sync('s.conc', '$tree/AWSLogs', batch_size => 10)", \$out_a, \$err_a);
$node->poll_query_until('postgres',
	"SELECT count(*) > 0 FROM trail.synced_file WHERE store = 's.conc'::regclass")
  or die 'the first sync did not start';

# the second one gives up at once, saying who holds the store
my ($rc, $stdout, $stderr) = $node->psql('postgres',
	"CALL trail.sync('s.conc', '$tree/AWSLogs', batch_size => 10)");
isnt($rc, 0, 'a second sync of the same store fails while the first runs');
like($stderr, qr/ERROR:  trail\.sync is already running on "s\.conc"/, 'with a clear message');
like($stderr, qr/DETAIL:  Process \d+ is syncing this store\./, 'naming the process');
like($stderr, qr/HINT:  .*wait => true/, 'and saying how to wait instead');

# one with wait => true waits for it, then finds what is left (nothing)
my $b = start_sync("CALL trail.sync('s.conc', '$tree/AWSLogs', batch_size => 10, wait => true)",
	\$out_b, \$err_b);
$node->poll_query_until('postgres',
	"SELECT count(*) > 0 FROM pg_stat_activity WHERE query LIKE '%wait => true%' AND wait_event = 'advisory'")
  or die 'the waiting sync did not wait';
$a->finish;
is($?, 0, 'the first sync finished');
$b->finish;
is($?, 0, 'the waiting sync finished');
like($err_b, qr/nothing new for "s\.conc"/, 'the waiting sync found everything loaded');
is(store_state('s.conc'), "$written|$written|$written|300|$written",
	'every event of the concurrent syncs is in the store once');

# a sync that fails lets go of the store: the next one can run
$node->psql('postgres', "CALL trail.sync('s.conc', '$dir/nowhere')");
($rc, $stdout, $stderr) = $node->psql('postgres', "CALL trail.sync('s.conc', '$tree/AWSLogs')");
is($rc, 0, 'a sync after a failed one is not locked out');

# ---------------------------------------------------------------------------
# Stale manifest statistics, as after a new store's first sync before
# autovacuum analyzes the manifest again (ANALYZE's counts outlive the
# rollback): the plan of the files-manifest join, from auto_explain

$node->safe_psql('postgres',
	'BEGIN; DELETE FROM trail.synced_file; ANALYZE trail.synced_file; ROLLBACK');
is( $node->safe_psql(
		'postgres', "SELECT reltuples FROM pg_class WHERE oid = 'trail.synced_file'::regclass"),
	'0',
	'the manifest\'s statistics say it is empty');
my $log_offset = -s $node->logfile;
($rc, $stdout, $stderr) = $node->psql('postgres',
	"LOAD 'auto_explain'; SET auto_explain.log_min_duration = 0; "
	  . "SET auto_explain.log_nested_statements = on; "
	  . "CALL trail.sync('s.conc', '$tree/AWSLogs')");
is($rc, 0, 'a sync with stale manifest statistics runs');
like($stderr, qr/nothing new for "s\.conc"/, 'and finds nothing new');
# a log message's later lines start with a tab
my ($plan) = grep { /Query Text: WITH f AS/ && /synced_file m/ }
  split /\n(?=\S)/, slurp_file($node->logfile, $log_offset);
ok(defined $plan, 'auto_explain logged the plan of the files-manifest join');
unlike($plan // '', qr/Nested Loop/, 'which is no nested loop');
like($plan // '', qr/(Hash|Merge) (Right |Left )?(Anti )?Join/, 'but a hash or merge join');

done_testing();
