# t/008_shards.pl — a trail sharded by account over postgres_fdw, with real
# servers on unix sockets: a coordinator, two nodes that each hold some
# accounts' trees, and a "single" node that holds the whole tree.
#   - every query of a set (counts, grouped writes, a one-day window, the
#     standard views, a join with an inventory table on the coordinator)
#     gives the same rows on the coordinator as on the single node;
#   - EXPLAIN shows async scans of the nodes and aggregates run on them;
#     EXPLAIN ANALYZE shows the coordinator receives groups, not events;
#   - a node that is down makes a query fail with its name;
#   - trail.check_shards finds rows the shard map does not place;
#   - a node is added with trail.add_shard;
#   - CREATE EXTENSION trail works without postgres_fdw, and the functions
#     say what is missing.
use strict;
use warnings;

use File::Path qw(make_path);
use IO::Compress::Gzip qw(gzip $GzipError);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $dir = PostgreSQL::Test::Utils::tempdir();

# ---------------------------------------------------------------------------
# The tree: three accounts, two regions, three days, a file every two hours
# per account and region, written into the tree of the node that holds the
# account and into the single node's whole tree.

my %holder = (
	'111122223333' => 'node1',
	'444455556666' => 'node1',
	'777788889999' => 'node2');
my @names = (
	[ 'ec2.amazonaws.com', 'DescribeInstances', 'true' ],
	[ 'ec2.amazonaws.com', 'RunInstances', 'false' ],
	[ 's3.amazonaws.com', 'GetObject', 'true', 'Data' ],
	[ 's3.amazonaws.com', 'PutObject', 'false', 'Data' ],
	[ 's3.amazonaws.com', 'DeleteBucket', 'false' ],
	[ 'iam.amazonaws.com', 'CreateUser', 'false' ],
	[ 'sts.amazonaws.com', 'AssumeRole', 'true' ],
	[ 'kms.amazonaws.com', 'Decrypt', 'true' ]);

my $seq = 0;

sub record
{
	my ($account, $region, $time) = @_;
	my $i = $seq++;
	my ($source, $name, $ro, $category) = @{ $names[ $i % @names ] };
	my $user = ('alice', 'bob', 'carol')[ $i % 3 ];
	my $error =
	  $i % 11 == 0 ? ',"errorCode":"AccessDenied","errorMessage":"no"' : '';
	my $recipient =
	  defined $account ? qq{,"recipientAccountId":"$account"} : '';
	$account //= '777788889999';
	return sprintf
	  '{"eventVersion":"1.08","eventTime":"%s","eventSource":"%s","eventName":"%s",'
	  . '"awsRegion":"%s","sourceIPAddress":"203.0.113.%d","readOnly":%s,'
	  . '"eventCategory":"%s","managementEvent":%s,'
	  . '"eventID":"%08x-0000-4000-8000-%012x"%s%s,'
	  . '"requestParameters":{"n":%d.0,"bucketName":"b%d"},'
	  . '"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::%s:user/%s","accountId":"%s"}}',
	  $time, $source, $name, $region, $i % 250 + 1, $ro,
	  $category // 'Management', ($category ? 'false' : 'true'),
	  $i, $i, $recipient, $error, $i, $i % 4, $account, $user, $account;
}

sub write_file
{
	my ($root, $account, $region, $day, $hour, @records) = @_;
	my $path = sprintf '%s/AWSLogs/%s/CloudTrail/%s/2025/03/%02d', $root,
	  $account, $region, $day;
	make_path($path);
	my $file = sprintf '%s/%s_CloudTrail_%s_202503%02dT%02d05Z_F%05d.json.gz',
	  $path, $account, $region, $day, $hour, $seq;
	my $json = '{"Records":[' . join(',', @records) . ']}';
	gzip(\$json => $file) or die $GzipError;
}

sub write_tree_file
{
	my ($account, $region, $day, $hour, @records) = @_;
	write_file("$dir/$holder{$account}", $account, $region, $day, $hour,
		@records);
	write_file("$dir/single", $account, $region, $day, $hour, @records);
}

my $total = 0;
for my $account (sort keys %holder)
{
	for my $region ('us-east-1', 'eu-west-1')
	{
		for my $day (4 .. 6)
		{
			for (my $hour = 0; $hour < 24; $hour += 2)
			{
				my @recs = map {
					record($account, $region,
						sprintf('2025-03-%02dT%02d:%02d:%02dZ',
							$day, $hour, $_, $_))
				} 0 .. 9;
				write_tree_file($account, $region, $day, $hour, @recs);
				$total += @recs;
			}
		}
	}
}
# KMS Decrypt events may lack recipientAccountId: one such record, in a file
# of node2's account
write_tree_file('777788889999', 'us-east-1', 5, 23,
	record(undef, 'us-east-1', '2025-03-05T23:01:00Z'));
$total++;

# ---------------------------------------------------------------------------
# The servers.

sub trail_node
{
	my ($name, $tree) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init;
	$node->append_conf('postgresql.conf', "max_parallel_workers_per_gather = 0\n");
	$node->start;
	$node->safe_psql('postgres', qq{
		CREATE EXTENSION trail;
		CREATE SCHEMA audit;
		CREATE SERVER cloudtrail FOREIGN DATA WRAPPER trail_fdw;
		IMPORT FOREIGN SCHEMA trail FROM SERVER cloudtrail INTO audit
		  OPTIONS (location '$tree/AWSLogs');
		-- the coordinator reads as this role, which needs nothing but SELECT:
		-- the table's owner had the file privilege to set its location
		CREATE ROLE trail_reader LOGIN;
		GRANT USAGE ON SCHEMA audit TO trail_reader;
		GRANT SELECT ON audit.events TO trail_reader;
	});
	return $node;
}

my $node1 = trail_node('node1', "$dir/node1");
my $node2 = trail_node('node2', "$dir/node2");
my $single = trail_node('single', "$dir/single");

my $coord = PostgreSQL::Test::Cluster->new('coordinator');
$coord->init;
$coord->start;

# CREATE EXTENSION trail needs no postgres_fdw; the functions say so
$coord->safe_psql('postgres', 'CREATE DATABASE nofdw');
$coord->safe_psql('nofdw', 'CREATE EXTENSION trail');
my ($rc, $out, $err) = $coord->psql('nofdw',
	q{SELECT trail.create_sharded_table('public.events', '{"a": ["111122223333"]}')});
like($err, qr/ERROR:  extension "postgres_fdw" is not installed\n.*HINT:  .*CREATE EXTENSION postgres_fdw/s,
	'without postgres_fdw: an error that says so, with a hint');

my $setup = sub {
	my ($node, $name, $options) = @_;
	my $host = $node->host;
	my $port = $node->port;
	$options //= ", extensions 'trail'";
	return qq{
		CREATE SERVER $name FOREIGN DATA WRAPPER postgres_fdw
		  OPTIONS (host '$host', port '$port', dbname 'postgres'$options);
		CREATE USER MAPPING FOR CURRENT_USER SERVER $name
		  OPTIONS (user 'trail_reader');
	};
};
$coord->safe_psql('postgres', qq{
	CREATE EXTENSION trail;
	CREATE EXTENSION postgres_fdw;
	CREATE SCHEMA audit;
	CREATE SERVER local_files FOREIGN DATA WRAPPER trail_fdw;
} . $setup->($node1, 'node1') . $setup->($node2, 'node2'));

# the map's errors
for my $case (
	[ q{'{"node1": ["111122223333"], "node2": ["111122223333"]}'},
		qr/ERROR:  account "111122223333" is given to more than one server/ ],
	[ q{'{"node1": [111122223333]}'},
		qr/ERROR:  the accounts of server "node1" must be a non-empty JSON array of strings\nDETAIL:  It is \[111122223333\]\./ ],
	[ q{'["node1"]'},
		qr/ERROR:  shards must be a JSON object mapping each server to its accounts/ ],
	[ q{'{"nosuch": ["111122223333"]}'},
		qr/ERROR:  server "nosuch" does not exist\n.*HINT:  Create a postgres_fdw server/s ],
	[ q{'{"local_files": ["111122223333"]}'},
		qr/ERROR:  server "local_files" is not a postgres_fdw server\nDETAIL:  Its foreign data wrapper is "trail_fdw"\./ ])
{
	($rc, $out, $err) = $coord->psql('postgres',
		"SELECT trail.create_sharded_table('audit.events', $case->[0])");
	like($err, $case->[1], "shard map $case->[0] is refused");
}
($rc, $out, $err) = $coord->psql('postgres',
	q{SELECT trail.create_sharded_table('events', '{"node1": ["111122223333"]}')});
like($err, qr/ERROR:  table name "events" must be schema-qualified/,
	'the table name must be schema-qualified');

($rc, $out, $err) = $coord->psql('postgres', q{
	SELECT trail.create_sharded_table('audit.events',
	  shards => '{"node1": ["111122223333", "444455556666"], "node2": ["777788889999"]}')});
is($out, 'audit.events', 'trail.create_sharded_table makes audit.events');
like($err, qr/NOTICE:  enable_partitionwise_aggregate is off/,
	'it warns when partitionwise aggregation is off');
$coord->safe_psql('postgres', q{
	ALTER DATABASE postgres SET enable_partitionwise_aggregate = on;
});
is( $coord->safe_psql('postgres',
		q{SELECT partition, server, accounts, remote_table FROM trail.shards('audit.events')}),
	"audit.events_node1|node1|{111122223333,444455556666}|audit.events\n"
	  . "audit.events_node2|node2|{777788889999}|audit.events",
	'trail.shards lists the partitions, their accounts and tables');
like(
	$coord->safe_psql('postgres',
		q{SELECT ftoptions FROM pg_foreign_table WHERE ftrelid = 'audit.events_node1'::regclass}),
	qr/async_capable=true.*fetch_size=10000/,
	'the partitions are async capable, with a large fetch size');

# the same objects on the coordinator and on the single node
for my $node ($coord, $single)
{
	$node->safe_psql('postgres', q{
		SELECT count(*) FROM trail.create_views('audit.events');
		CREATE TABLE audit.accounts (account_id text PRIMARY KEY, owner text);
		INSERT INTO audit.accounts VALUES
		  ('111122223333', 'platform'), ('444455556666', 'data'),
		  ('777788889999', 'data');
	});
}

# ---------------------------------------------------------------------------
# The same rows on the coordinator as on one node with the whole tree.

is($single->safe_psql('postgres', 'SELECT count(*) FROM audit.events'),
	$total, "the single node holds all $total records");

my @queries = (
	'SELECT count(*) FROM audit.events',
	'SELECT recipient_account_id, count(*) FROM audit.events GROUP BY 1 ORDER BY 1',
	q{SELECT recipient_account_id, event_source, event_name, count(*)
	  FROM audit.events WHERE NOT read_only GROUP BY 1, 2, 3 ORDER BY 1, 2, 3},
	q{SELECT event_source, event_name, count(*)
	  FROM audit.write_events GROUP BY 1, 2 ORDER BY 1, 2},
	q{SELECT event_source, event_name, sum(n) FROM (
	    SELECT recipient_account_id, event_source, event_name, count(*) AS n
	    FROM audit.events WHERE NOT read_only GROUP BY 1, 2, 3) per_account
	  GROUP BY 1, 2 ORDER BY 1, 2},
	q{SELECT recipient_account_id, aws_region, count(*), min(event_time), max(event_time)
	  FROM audit.events
	  WHERE event_time >= '2025-03-05' AND event_time < '2025-03-06'
	  GROUP BY 1, 2 ORDER BY 1, 2},
	q{SELECT recipient_account_id, event_name, count(*) FROM audit.events
	  WHERE NOT read_only AND event_time >= (SELECT timestamptz '2025-03-06' - interval '12 hours')
	  GROUP BY 1, 2 ORDER BY 1, 2},
	q{SELECT event_name, count(*), count(DISTINCT user_arn)
	  FROM audit.events WHERE recipient_account_id = '777788889999'
	  GROUP BY 1 ORDER BY 1},
	q{SELECT event_id, event_time, user_arn, source_ip, request_parameters
	  FROM audit.events WHERE event_name = 'DeleteBucket' AND aws_region = 'eu-west-1'
	  ORDER BY event_id},
	(map { "SELECT count(*), count(DISTINCT event_name) FROM audit.$_" }
	  qw(management_events data_events insight_events network_activity_events
	  read_events write_events)),
	q{SELECT a.owner, e.event_name, count(*)
	  FROM audit.events e JOIN audit.accounts a ON a.account_id = e.recipient_account_id
	  WHERE e.error_code IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2},
	q{SELECT event_name, count(*) FROM audit.events
	  WHERE coalesce(recipient_account_id, '') = '' GROUP BY 1 ORDER BY 1});
for my $q (@queries)
{
	my $want = $single->safe_psql('postgres', $q);
	my $got = $coord->safe_psql('postgres', $q);
	(my $label = $q) =~ s/\s+/ /g;
	ok($want ne '', "the single node answers: $label");
	is($got, $want, "the same rows on the coordinator: $label");
}

# ---------------------------------------------------------------------------
# The plans: the nodes scan at once and aggregate their own rows.

my $grouped = q{SELECT recipient_account_id, event_source, event_name, count(*)
	FROM audit.events WHERE NOT read_only AND event_time >= '2025-03-05'
	GROUP BY 1, 2, 3};
my $plan = $coord->safe_psql('postgres', "EXPLAIN (VERBOSE, COSTS OFF) $grouped");
note $plan;
is(() = $plan =~ /Async Foreign Scan/g, 2, 'EXPLAIN: an async scan of each node');
is( () = $plan =~
	  /Remote SQL: SELECT recipient_account_id, event_source, event_name, count\(\*\) FROM audit\.events WHERE \(\(NOT read_only\)\) AND \(\(event_time >= '2025-03-05 00:00:00\+00'\)\) GROUP BY 1, 2, 3/g,
	2, 'EXPLAIN: each node runs the GROUP BY, with the quals');
my $local_agg = qr/^\s*(?:->\s+)?(?:Partial |Finalize )?(?:Hash|Group|Mixed)?Aggregate\b/m;
unlike($plan, $local_agg, 'EXPLAIN: no aggregate on the coordinator');

# EXPLAIN ANALYZE: the coordinator receives one row per group
my $groups = $single->safe_psql('postgres',
	"SELECT count(*) FROM ($grouped) g");
my $events = $single->safe_psql('postgres',
	q{SELECT count(*) FROM audit.events WHERE NOT read_only AND event_time >= '2025-03-05'});
$plan = $coord->safe_psql('postgres',
	"EXPLAIN (ANALYZE, VERBOSE, COSTS OFF, TIMING OFF) $grouped");
note $plan;
my $received = 0;
$received += $_ for $plan =~ /Async Foreign Scan \(actual rows=(\d+) /g;
is($received, $groups,
	"EXPLAIN ANALYZE: the coordinator receives $groups groups (of $events events)");

# a qual on the account keeps to its node, and the node prunes its files
$plan = $coord->safe_psql('postgres', q{EXPLAIN (VERBOSE, COSTS OFF)
	SELECT recipient_account_id, event_name, count(*) FROM audit.events
	WHERE recipient_account_id = '777788889999' GROUP BY 1, 2});
note $plan;
like($plan,
	qr/^Foreign Scan\n.*Relations: Aggregate on \(audit\.events_node2 events\)\n.*Remote SQL: .*WHERE \(\(recipient_account_id = '777788889999'\)\) GROUP BY 1, 2$/s,
	'EXPLAIN: one account is one node, the qual and the GROUP BY sent there');
unlike($plan, qr/node1/, 'EXPLAIN: the other node is not scanned');

# the views: quals on trail's types are sent to servers that list the
# extension (the read and write views' IS TRUE / IS FALSE are not sent by
# PostgreSQL 15's postgres_fdw: they are checked on the coordinator)
$plan = $coord->safe_psql('postgres', q{EXPLAIN (VERBOSE, COSTS OFF)
	SELECT recipient_account_id, count(*) FROM audit.data_events GROUP BY 1});
note $plan;
is(() = $plan =~ /Remote SQL: SELECT recipient_account_id, count\(\*\) FROM audit\.events WHERE \(\(event_category = 'Data'\)\) GROUP BY 1/g,
	2, 'EXPLAIN: a category view is sent to the nodes, with its GROUP BY');

# a window computed on the coordinator is sent as a parameter when it is a
# scalar subquery; postgres_fdw does not send now() or other functions that
# are not immutable
$plan = $coord->safe_psql('postgres', q{EXPLAIN (VERBOSE, COSTS OFF)
	SELECT recipient_account_id, count(*) FROM audit.events
	WHERE event_time > (SELECT now() - interval '1 day') GROUP BY 1});
note $plan;
is(() = $plan =~ /Remote SQL: SELECT recipient_account_id, count\(\*\) FROM audit\.events WHERE \(\(event_time > \$1::timestamp with time zone\)\) GROUP BY 1/g,
	2, 'EXPLAIN: a window as a scalar subquery is sent to the nodes');
$plan = $coord->safe_psql('postgres', q{EXPLAIN (VERBOSE, COSTS OFF)
	SELECT recipient_account_id, count(*) FROM audit.events
	WHERE event_time > now() - interval '1 day' GROUP BY 1});
note $plan;
like($plan, qr/Filter: \(events\.event_time > \(now\(\) - '1 day'::interval\)\)/,
	'EXPLAIN: now() itself stays on the coordinator');
$plan = $node2->safe_psql('postgres', q{EXPLAIN
	SELECT event_name, count(*) FROM audit.events
	WHERE recipient_account_id = '777788889999' AND event_time >= '2025-03-06'
	GROUP BY 1});
# the walk does not even list the folders the quals rule out
my ($read, $walked) = $plan =~ /Trail Files: (\d+) of (\d+)\n.*Trail Folders: \d+ walked, \d+ skipped/;
ok(defined $read && $read < 30 && $walked < 73,
	'on the node, trail prunes the files by the quals it receives: ' . ($read // 'none') . ' of ' . ($walked // 'none') . ' walked of 73');

# a GROUP BY without the account is computed on the coordinator from the
# events (PostgreSQL 15 does not send partial aggregates to the nodes) ...
$plan = $coord->safe_psql('postgres', q{EXPLAIN (VERBOSE, COSTS OFF)
	SELECT event_source, event_name, count(*) FROM audit.events
	WHERE NOT read_only GROUP BY 1, 2});
note $plan;
like($plan, $local_agg,
	'EXPLAIN: a GROUP BY without the account aggregates on the coordinator');
unlike($plan, qr/Remote SQL: .*GROUP BY/,
	'EXPLAIN: ... from the events of the nodes');
# ... and grouping by account first sends the GROUP BY to the nodes
$plan = $coord->safe_psql('postgres', q{EXPLAIN (VERBOSE, COSTS OFF)
	SELECT event_source, event_name, sum(n) FROM (
	  SELECT recipient_account_id, event_source, event_name, count(*) AS n
	  FROM audit.events WHERE NOT read_only GROUP BY 1, 2, 3) per_account
	GROUP BY 1, 2});
note $plan;
is(() = $plan =~ /Remote SQL: SELECT recipient_account_id, event_source, event_name, count\(\*\) FROM audit\.events WHERE \(\(NOT read_only\)\) GROUP BY 1, 2, 3/g,
	2, 'EXPLAIN: grouped by account first, each node runs the GROUP BY');

# ---------------------------------------------------------------------------
# Rows the map does not place, and a node more.

is( $coord->safe_psql('postgres',
		q{SELECT partition, server, coalesce(recipient_account_id, '(null)'), records
		  FROM trail.check_shards('audit.events')}),
	'audit.events_node2|node2|(null)|1',
	'trail.check_shards finds the record without recipient_account_id');

make_path("$dir/node3");
$seq = 100000;
$holder{'999900001111'} = 'node3';
my @recs = map { record('999900001111', 'us-east-1', "2025-03-05T10:00:0${_}Z") } 0 .. 4;
write_file("$dir/node3", '999900001111', 'us-east-1', 5, 10, @recs);
my $node3 = trail_node('node3', "$dir/node3");
($rc, $out, $err) = $coord->psql('postgres', $setup->($node3, 'node3', '') . q{
	SELECT trail.add_shard('audit.events', 'node3', '{999900001111}');
});
is($out, 'audit.events_node3', 'trail.add_shard makes a partition for node3');
like($err,
	qr/NOTICE:  server "node3" does not list the extension trail in its option "extensions"\n.*HINT:  Add it: ALTER SERVER node3 OPTIONS \(ADD extensions 'trail'\)\./s,
	'trail.add_shard says when a server does not list trail among its extensions');
is( $coord->safe_psql('postgres',
		q{SELECT recipient_account_id, count(*) FROM audit.events
		  WHERE recipient_account_id IN ('777788889999', '999900001111') GROUP BY 1 ORDER BY 1}),
	"777788889999|720\n999900001111|5",
	'trail.add_shard: the new node answers for its account');
($rc, $out, $err) = $coord->psql('postgres',
	q{SELECT trail.add_shard('audit.events', 'node3', '{123456789012}')});
like($err, qr/ERROR:  a partition of "audit\.events" already reads table audit\.events on server "node3"/,
	'a second partition over the same table of a node is refused');
# a node may hold a second table, with a partition of its own
@recs = map { record('999900002222', 'us-east-1', "2025-03-05T11:00:0${_}Z") } 0 .. 2;
write_file("$dir/node3b", '999900002222', 'us-east-1', 5, 11, @recs);
$node3->safe_psql('postgres', qq{
	CREATE SCHEMA b;
	IMPORT FOREIGN SCHEMA trail FROM SERVER cloudtrail INTO b
	  OPTIONS (location '$dir/node3b/AWSLogs');
	GRANT USAGE ON SCHEMA b TO trail_reader;
	GRANT SELECT ON b.events TO trail_reader;
});
is( $coord->safe_psql('postgres', q{
		SELECT trail.add_shard('audit.events', 'node3', '{999900002222}',
		                       remote_table => 'b.events');
		SELECT recipient_account_id, count(*) FROM audit.events
		WHERE recipient_account_id LIKE '9999%' GROUP BY 1 ORDER BY 1}),
	"audit.events_node3_b_events\n999900001111|5\n999900002222|3",
	'a second table on node3 gets a partition of its own');
$coord->safe_psql('postgres',
	'DROP FOREIGN TABLE audit.events_node3, audit.events_node3_b_events');
$node3->stop;

# ---------------------------------------------------------------------------
# A node that is down: an error that names it, not a partial answer.

$node2->stop;
($rc, $out, $err) = $coord->psql('postgres',
	'SELECT recipient_account_id, count(*) FROM audit.events GROUP BY 1');
isnt($rc, 0, 'with node2 down, a query over every node fails');
is($out, '', 'and returns no rows');
note $err;
like($err, qr/ERROR:  could not connect to server "node2"/,
	'the error names the node');
is( $coord->safe_psql('postgres',
		q{SELECT count(*) FROM audit.events WHERE recipient_account_id = '111122223333'}),
	720, "a query for node1's accounts does not need node2");
$node2->start;
is($coord->safe_psql('postgres', 'SELECT count(*) FROM audit.events'),
	$total, 'node2 back: every record again');

done_testing();
