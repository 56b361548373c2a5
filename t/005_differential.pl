# t/005_differential.pl — pruning and pushdown never change a result.
#
# A generated tree in the S3 layout (two accounts, two regions, two days,
# CloudTrail, CloudTrail-Insight and CloudTrail-NetworkActivity folders,
# gzip and plain) and files of every other input shape beside it hold
# adversarial records: keys written with escapes, duplicate keys (the last
# wins), readOnly in every form, times with offsets, fractions, the basic
# form and epoch numbers near the queries' edges, records delivered late
# into the next day's folder.  For every qual kind pruning.c understands,
#
#   SELECT ... FROM t WHERE q
#   SELECT ... FROM (SELECT * FROM t OFFSET 0) s WHERE q    -- no pushdown
#
# must give the same rows, for the foreign table and trail.read, serial and
# parallel, on a first execution and on rescans.
#
# A week-long tree with digests checks the same of folder pruning in the
# walk: time windows at day edges, accounts, regions, folder_pruning on
# and off, a file delivered two days late that only its digest finds.
#
# Records that contradict their folder (account, region, category) are a
# documented assumption: they are checked with trail.folder_pruning off
# (and the table option folder_pruning), and with it on the scan must warn.
use strict;
use warnings;

use File::Path qw(make_path);
use IO::Compress::Gzip qw(gzip $GzipError);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::Local qw(timegm);
use POSIX qw(strftime);

my $node = PostgreSQL::Test::Cluster->new('differential');
$node->init;
$node->append_conf('postgresql.conf', "max_worker_processes = 8\nmax_parallel_workers = 4\n");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION trail');

my $root = PostgreSQL::Test::Utils::tempdir();
srand(20251201);

# ---------------------------------------------------------------------------
# Records

my @names = map { "E$_" } 1 .. 5;
my @accounts = ('111122223333', '444455556666');
my @regions = ('us-east-1', 'eu-west-1');

# a key as written: plain, or one letter escaped
sub esc_key
{
	my ($k) = @_;
	my $c = substr($k, 1, 1);
	return '"' . substr($k, 0, 1) . sprintf('\\u%04x', ord $c) . substr($k, 2) . '"';
}

# a string value, plain or its first character escaped
sub str
{
	my ($s, $escaped) = @_;
	return "\"$s\"" unless $escaped;
	return '"' . sprintf('\\u%04X', ord substr($s, 0, 1)) . substr($s, 1) . '"';
}

# members for one field: plain, escaped key, or a decoy first (the last wins)
sub member
{
	my ($key, $value, $decoy) = @_;
	my $form = int(rand(5));
	my @m;
	if ($form == 3 || $form == 4)
	{
		push @m, "\"$key\":$decoy";
	}
	my $k = ($form == 1 || $form == 4) ? esc_key($key) : "\"$key\"";
	push @m, "$k:$value";
	return @m;
}

sub iso
{
	my ($t, $form) = @_;
	my @g = gmtime(int $t);
	my $frac = $t - int $t;
	if ($form == 0) { return str(strftime('%Y-%m-%dT%H:%M:%SZ', @g)); }
	if ($form == 1)    # an offset
	{
		my @l = gmtime(int($t) + 2 * 3600);
		return str(strftime('%Y-%m-%dT%H:%M:%S+02:00', @l));
	}
	if ($form == 2)    # a fraction (nanoseconds)
	{
		return str(strftime('%Y-%m-%dT%H:%M:%S', @g)
			  . sprintf('.%09dZ', int($frac * 1e9 + 0.5)));
	}
	if ($form == 3) { return str(strftime('%Y%m%dT%H%M%SZ', @g)); }    # basic
	if ($form == 4) { return int $t; }    # epoch seconds
	if ($form == 5) { return int($t) * 1000; }    # epoch milliseconds
	return str(strftime('%Y-%m-%dT%H:%M:%SZ', @g), 1);    # escaped
}

my $recno = 0;

sub record
{
	my (%o) = @_;
	$recno++;
	my @m = ('"eventVersion":"1.11"');
	my $t = $o{time};
	# whole seconds unless the fraction form is used
	my $tform = int(rand(7));
	$t = int($t) if $tform != 2;
	push @m, member('eventTime', iso($t, $tform), '"2020-01-01T00:00:00Z"');
	my $name = $names[ int(rand(@names)) ];
	push @m, member('eventName', str($name, rand() < 0.2), '"Decoy"');
	my $source = rand() < 0.5 ? 's3.amazonaws.com' : 'ec2.amazonaws.com';
	push @m, member('eventSource', str($source, rand() < 0.2), '"decoy.amazonaws.com"');
	push @m, member('awsRegion', str($o{region}), '"xx-decoy-1"');
	push @m, member('recipientAccountId', str($o{account}), '"999999999999"');
	my $r = int(rand(8));
	my @ro = ('"TRUE"', '"false"', 'true', 'false', 'null', undef, '"True"', str('true', 1));
	push @m, member('readOnly', $ro[$r], '"false"') if defined $ro[$r];
	my $e = int(rand(4));
	push @m, member('errorCode', str('AccessDenied', rand() < 0.3), '"Decoy"') if $e == 0;
	push @m, member('errorCode', str('ThrottlingException'), 'null') if $e == 1;
	push @m, '"errorCode":null' if $e == 2;
	my $cat = $o{category};
	if (!defined $cat)
	{
		# derived: managementEvent, or a data API of S3
		push @m, member('managementEvent', rand() < 0.5 ? 'true' : 'false', '"x"')
		  if rand() < 0.5;
	}
	elsif ($cat eq 'Insight')
	{
		push @m, member('eventCategory', str('Insight', rand() < 0.3), '"Data"');
		push @m, '"eventType":"AwsCloudTrailInsight","insightDetails":{"state":"Start"}';
	}
	else
	{
		push @m, member('eventCategory', str($cat, rand() < 0.3), '"Decoy"');
	}
	push @m, sprintf('"eventID":"%08x-0000-4000-8000-%012x"', $recno, $recno);
	push @m, '"userIdentity":{"type":"IAMUser","\\u0061rn":"arn:aws:iam::1:user/u"}';
	# shuffle the order of members a little: keep eventVersion first
	my @rest = @m[ 1 .. $#m ];
	for my $i (reverse 1 .. $#rest)
	{
		my $j = int(rand($i + 1));
		# keep a decoy before its real member: swap only whole fields
		next if $rest[$i] =~ /^"(\w+)":/ && grep { index($_, "\"$1\"") == 0 } @rest[ 0 .. $i - 1 ];
		@rest[ $i, $j ] = @rest[ $j, $i ] if $rest[$j] !~ /^"(\w+)":/ || 1;
	}
	return '{' . join(',', $m[0], @m[ 1 .. $#m ]) . '}';
}

# ---------------------------------------------------------------------------
# Files

my $nfiles = 0;

sub put
{
	my ($path, $text, $gzip) = @_;
	my ($dir) = $path =~ m{^(.*)/};
	make_path($dir);
	if ($gzip)
	{
		gzip(\$text => "$path") or die $GzipError;
	}
	else
	{
		open my $fh, '>:raw', $path or die $!;
		print $fh $text;
		close $fh;
	}
	$nfiles++;
}

# one trail file delivered at $d (epoch) holding records from up to 5 h
# before it to 10 minutes after (clock skew), and some at the query edges
sub trail_file
{
	my ($tree, $account, $folder, $region, $d, $category_of, $n, $extra) = @_;
	my @recs;
	for (1 .. $n)
	{
		my $t = $d - rand(5 * 3600) + (rand() < 0.1 ? 600 : 0);
		$t = int($t) + 0.123456789 if rand() < 0.2;
		push @recs, record(time => $t, account => $account, region => $region,
			category => $category_of->());
	}
	push @recs, @{ $extra || [] };
	my $stamp = strftime('%Y%m%dT%H%MZ', gmtime $d);
	my $ymd = strftime('%Y/%m/%d', gmtime $d);
	my $gz = rand() < 0.7;
	my $name = sprintf('%s_%s_%s_%s_%04d.json%s', $account, $folder, $region, $stamp,
		$nfiles, $gz ? '.gz' : '');
	put("$tree/AWSLogs/$account/$folder/$region/$ymd/$name",
		'{"Records":[' . join(',', @recs) . ']}', $gz);
}

my $day1 = timegm(0, 0, 0, 4, 2, 2025);    # 2025-03-04
my $edge = $day1 + 12 * 3600;             # the queries' 12:00 edge
my $midnight = $day1 + 24 * 3600;

sub mgmt_or_data
{
	my $r = rand();
	return $r < 0.3 ? undef : $r < 0.7 ? 'Management' : 'Data';
}

sub build_tree
{
	my ($tree, $wrong) = @_;
	for my $account (@accounts)
	{
		for my $region (@regions)
		{
			for my $h (2, 7, 12, 12.25, 18, 23.75, 24.1, 30, 36)
			{
				my $d = $day1 + int($h * 3600);
				my @extra;
				# at the 12:00 edge, in every time form
				if ($h == 12.25)
				{
					for my $t ($edge - 1, $edge, $edge + 1, $edge - 0.000001, $edge + 0.0000004)
					{
						push @extra, record(time => $t, account => $account,
							region => $region, category => mgmt_or_data());
					}
				}
				# delivered late: 23:58 in a file of the next day (00:06)
				if ($h == 24.1)
				{
					push @extra, record(time => $midnight - 120, account => $account,
						region => $region, category => 'Management');
				}
				# contradicting the folder
				if ($wrong && $h == 18)
				{
					push @extra,
					  record(time => $d - 60, account => $accounts[0] eq $account ? $accounts[1] : $accounts[0],
						region => $region, category => 'Management'),
					  record(time => $d - 60, account => $account,
						region => 'ap-south-1', category => 'Data'),
					  record(time => $d - 60, account => $account,
						region => $region, category => 'Insight');
				}
				trail_file($tree, $account, 'CloudTrail', $region, $d, \&mgmt_or_data,
					3 + int(rand(4)), \@extra);
			}
			trail_file($tree, $account, 'CloudTrail-Insight', $region, $day1 + 13 * 3600,
				sub { 'Insight' }, 2);
			trail_file($tree, $account, 'CloudTrail-NetworkActivity', $region,
				$day1 + 14 * 3600, sub { 'NetworkActivity' }, 3);
		}
	}

	# every other input shape, outside the layout (always read)
	my @r = map {
		record(time => $day1 + 10 * 3600 + $_ * 1800, account => $accounts[0],
			region => $regions[0], category => mgmt_or_data())
	} 1 .. 18;
	put("$tree/other/records.ndjson", join("\n", @r[ 0 .. 2 ]) . "\n", 0);
	put("$tree/other/records-crlf.ndjson.gz", join("\r\n", @r[ 3 .. 4 ]) . "\r\n", 1);
	put("$tree/other/concatenated.json", join('', @r[ 5 .. 6 ]), 0);
	put("$tree/other/array.json", '[' . join(',', @r[ 7 .. 8 ]) . ']', 0);
	put("$tree/other/eventbridge.ndjson",
		join('', map { qq({"version":"0","detail-type":"AWS API Call via CloudTrail","source":"aws.s3","detail":$_}\n) } @r[ 9 .. 10 ]), 0);
	my $quote = sub { my $s = shift; $s =~ s/\\/\\\\/g; $s =~ s/"/\\"/g; return "\"$s\"" };
	put("$tree/other/cwl.json.gz",
		'{"messageType":"DATA_MESSAGE","owner":"1","logGroup":"g","logStream":"s","subscriptionFilters":["f"],"logEvents":['
		  . join(',', map { '{"id":"1","timestamp":1,"message":' . $quote->($_) . '}' } @r[ 11 .. 12 ])
		  . ']}', 1);
	put("$tree/other/lookup-events.json",
		'{"Events":[' . join(',', map { '{"EventId":"x","CloudTrailEvent":' . $quote->($_) . '}' } @r[ 13 .. 14 ]) . ']}', 0);
	put("$tree/other/single.json", $r[15], 0);
	put("$tree/other/records.json.gz", '{"Records":[' . join(',', @r[ 16 .. 17 ]) . ']}', 1);
}

build_tree("$root/clean", 0);
build_tree("$root/wrong", 1);
# beyond max_delivery_delay: an event 11 hours before its file
put(sprintf('%s/late/AWSLogs/%s/CloudTrail/%s/2025/03/04/%s_CloudTrail_%s_20250304T1200Z_late.json',
		$root, $accounts[0], $regions[0], $accounts[0], $regions[0]),
	'{"Records":[' . record(time => $day1 + 3600, account => $accounts[0],
		region => $regions[0], category => 'Management') . ']}', 0);
note "$nfiles files";

# ---------------------------------------------------------------------------
# Queries

my $cols = $node->safe_psql('postgres', q{
	SELECT string_agg(format('%I %s', attname, format_type(atttypid, atttypmod)), ', ' ORDER BY attnum)
	FROM pg_attribute WHERE attrelid = 'trail.event'::regclass AND attnum > 0});
$node->safe_psql('postgres', qq{
	CREATE SERVER s FOREIGN DATA WRAPPER trail_fdw;
	CREATE FOREIGN TABLE clean_t ($cols) SERVER s OPTIONS (location '$root/clean');
	CREATE FOREIGN TABLE wrong_t ($cols) SERVER s OPTIONS (location '$root/wrong');
	CREATE FOREIGN TABLE late_t ($cols) SERVER s
	  OPTIONS (location '$root/late', max_delivery_delay '24 hours');
});

my @quals = (
	"event_time >= '2025-03-04 12:00:00+00'",
	"event_time > '2025-03-04 12:00:00+00'",
	"event_time < '2025-03-04 12:00:00+00'",
	"event_time <= '2025-03-04 12:00:00+00'",
	"event_time = '2025-03-04 12:00:00+00'",
	"event_time BETWEEN '2025-03-04 23:50:00+00' AND '2025-03-05 00:10:00+00'",
	"event_time >= '2025-03-05 00:00:00+00'",
	"event_time < '2025-03-04 06:00:00+00'",
	"event_time >= (SELECT '2025-03-04 20:00:00+00'::timestamptz)",
	"event_time > '2025-03-04 12:00:00+00'::timestamptz - interval '1 hour' AND event_time < '2025-03-04 13:00:00+00'",
	"event_name = 'E1'",
	"event_name = ANY ('{E1,E3}')",
	"event_name IN ('E2', 'E5', 'Decoy')",
	"event_name = 'Decoy'",
	"event_source = 's3.amazonaws.com'",
	"event_source = 'decoy.amazonaws.com'",
	"error_code = 'AccessDenied'",
	"error_code = ANY ('{AccessDenied,ThrottlingException}')",
	"read_only",
	"NOT read_only",
	"read_only = true",
	"read_only = false",
	"read_only IS TRUE",
	"read_only IS FALSE",
	"read_only IS NOT TRUE",
	"event_category = 'Data'",
	"event_category = 'Management'",
	"event_category = 'Insight'",
	"event_category = 'NetworkActivity'",
	"event_category = ANY ('{Insight,Data}')",
	"recipient_account_id = '444455556666'",
	"recipient_account_id IN ('111122223333', '999999999999')",
	"aws_region = 'eu-west-1'",
	"aws_region = ANY ('{us-east-1}')",
	"aws_region = 'ap-south-1'",
	"event_name = 'E1' AND read_only AND event_time >= '2025-03-04 12:00:00+00'",
	"event_category = 'Data' AND aws_region = 'us-east-1' AND NOT read_only",
	"recipient_account_id = '444455556666' AND event_source = 'ec2.amazonaws.com' AND event_time < '2025-03-05 00:00:00+00'",
	"event_name = 'E1' AND event_name = 'E2'",
	"event_time = NULL",
);

my $row = q{concat_ws(',', source_file, record_index, event_time, event_name, event_source,
	error_code, read_only, event_category, recipient_account_id, aws_region)};

sub digest_query
{
	my ($from, $q) = @_;
	return "SELECT count(*) || ' ' || coalesce(md5(string_agg(x, '|' ORDER BY x)), '-')
	        FROM (SELECT $row AS x FROM $from WHERE $q) z";
}

my $parallel = q{SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0;
	SET min_parallel_table_scan_size = 0; SET max_parallel_workers_per_gather = 2;};

sub compare
{
	my ($label, $setup, $pushed, $plain) = @_;
	my ($r1, $o1, $e1) = $node->psql('postgres', "$setup $pushed");
	my ($r2, $o2, $e2) = $node->psql('postgres', "$setup $plain");
	# an error on either side is a failure, even when both fail alike
	ok($r1 == 0 && $r2 == 0 && $o1 eq $o2, $label)
	  or diag("pushed: $o1 $e1\nplain:  $o2 $e2");
}

my %src = (
	'foreign table' => [ 'clean_t', '(SELECT * FROM clean_t OFFSET 0) s' ],
	'trail.read' => [
		"trail.read('$root/clean')",
		"(SELECT * FROM trail.read('$root/clean') OFFSET 0) s"
	],);

my $total = $node->safe_psql('postgres', 'SELECT count(*) FROM clean_t');
cmp_ok($total, '>', 200, "the tree holds $total records");

for my $mode ('serial', 'parallel')
{
	my $setup = $mode eq 'parallel' ? $parallel : '';
	for my $s (sort keys %src)
	{
		my ($pushed, $plain) = @{ $src{$s} };
		for my $q (@quals)
		{
			compare("$s, $mode: $q", $setup, digest_query($pushed, $q),
				digest_query($plain, $q));
		}
	}
}

like(
	$node->safe_psql('postgres', "$parallel EXPLAIN (COSTS OFF) SELECT count(*) FROM clean_t WHERE event_name = 'E1'"),
	qr/Gather/,
	'the parallel settings give the foreign table a Gather');

# rescans: a correlated subquery and a nested loop over VALUES
for my $mode ('serial', 'parallel')
{
	my $setup = ($mode eq 'parallel' ? $parallel : '')
	  . ' SET enable_hashjoin = off; SET enable_mergejoin = off; SET enable_material = off;';
	for my $s (sort keys %src)
	{
		my ($pushed, $plain) = @{ $src{$s} };
		my ($pt, $pa) = ($pushed =~ /^(\S+)/, $plain);
		my $sub = sub {
			my $from = shift;
			return "SELECT string_agg(g || ':' || (SELECT count(*) FROM $from WHERE event_name = (SELECT 'E' || g)
			          AND event_time >= '2025-03-04 00:00:00+00'::timestamptz + g * interval '4 hours'), ' ' ORDER BY g)
			        FROM generate_series(1, 5) g";
		};
		compare("$s, $mode, rescans of a correlated subquery", $setup,
			$sub->($pushed =~ /^trail/ ? "trail.read('$root/clean') t" : 'clean_t t'),
			$sub->($plain));
		my $nl = sub {
			my $from = shift;
			return "SELECT string_agg(v.n || ':' || c.n, ' ' ORDER BY v.n)
			        FROM (VALUES ('E1'), ('E2'), ('E3'), ('Decoy'), (NULL)) v(n),
			             LATERAL (SELECT count(*) AS n FROM $from WHERE event_name = v.n
			                      AND read_only IS NOT NULL) c";
		};
		compare("$s, $mode, rescans in a nested loop", $setup,
			$nl->($pushed =~ /^trail/ ? "trail.read('$root/clean') t" : 'clean_t t'),
			$nl->($plain));
		# the inner side of a nested loop, rescanned once per outer row (in
		# parallel: a Gather rescanned, its workers started again)
		my $join = sub {
			my $from = shift;
			# (a LEFT JOIN keeps the scan on the inner side)
			return "SELECT string_agg(g || ':' || c, ' ' ORDER BY g) FROM (
			          SELECT g, count(t.record_index) AS c
			          FROM generate_series(1, 4) g
			          LEFT JOIN $from ON t.event_name = 'E' || g
			            AND t.event_time >= '2025-03-04 06:00:00+00' AND t.read_only IS NOT FALSE
			          GROUP BY g) z";
		};
		my $tf = $pushed =~ /^trail/ ? "trail.read('$root/clean') t" : 'clean_t t';
		my $tp = $plain =~ s/ s$/ t/r;
		compare("$s, $mode, rescans of the inner side of a join", $setup,
			$join->($tf), $join->($tp));
		# the same with a join clause pruning cannot use, so that no
		# parameterized path replaces the rescanned (parallel) scan
		my $join2 = sub {
			my $from = shift;
			return "SELECT string_agg(g || ':' || c, ' ' ORDER BY g) FROM (
			          SELECT g, count(t.record_index) AS c
			          FROM generate_series(1, 4) g
			          LEFT JOIN $from ON lower(t.event_name) = lower('E' || g)
			            AND t.event_time >= '2025-03-04 06:00:00+00' AND t.read_only IS NOT FALSE
			          GROUP BY g) z";
		};
		compare("$s, $mode, rescans of the inner side of a join on an expression", $setup,
			$join2->($tf), $join2->($tp));
		if ($s eq 'foreign table' && $mode eq 'parallel')
		{
			my $plan = $node->safe_psql('postgres', "$setup EXPLAIN (COSTS OFF) " . $join2->($tf));
			like($plan, qr/Nested Loop.*Gather/s, 'the join rescans a Gather')
			  or diag($plan);
			$plan = $node->safe_psql('postgres', "$setup EXPLAIN (COSTS OFF) " . $join->($tf));
			like($plan, qr/Nested Loop.*Foreign Scan on clean_t.*Filter: .*event_name = \('E'::text \|\| \(g\.g\)::text\)/s,
				'a join clause on event_name is pushed to the inner scan (a parameterized path)')
			  or diag($plan);
		}
	}
}

# late delivery beyond max_delivery_delay, with a delay large enough
for my $q ("event_time < '2025-03-04 02:00:00+00'", "event_time = '2025-03-04 01:00:00+00'")
{
	compare("late record, max_delivery_delay 24 hours (table option): $q", '',
		digest_query('late_t', $q), digest_query('(SELECT * FROM late_t OFFSET 0) s', $q));
	compare("late record, trail.max_delivery_delay 24h (trail.read): $q",
		"SET trail.max_delivery_delay = '24h';",
		digest_query("trail.read('$root/late')", $q),
		digest_query("(SELECT * FROM trail.read('$root/late') OFFSET 0) s", $q));
}

# ---------------------------------------------------------------------------
# Join clauses: trail.read's parameterized paths.  Each qual kind with its
# value from an outer row (NULLs, dates, timestamps without a time zone
# among them), in a nested loop that rescans trail.read once per row, must
# give the rows of the same join over trail.read ... OFFSET 0.

{
	$node->safe_psql('postgres', q{
		CREATE TABLE outer_vals (o_id int, o_ts timestamptz, o_lts timestamp,
		  o_d date, o_name text, o_name2 text, o_names text[], o_pat text,
		  o_src text, o_err text, o_b boolean, o_cat trail.event_category,
		  o_acct text, o_region text);
		INSERT INTO outer_vals VALUES
		  (1, '2025-03-04 12:00:00+00', '2025-03-04 12:00:00', '2025-03-04', 'E1', 'E3',
		   '{E1,E3}', 'E%', 's3.amazonaws.com', 'AccessDenied', true, 'Data',
		   '444455556666', 'eu-west-1'),
		  (2, '2025-03-04 23:50:00+00', '2025-03-04 23:50:00', '2025-03-05', 'E2', 'Decoy',
		   '{E5,NULL}', 'E1%', 'ec2.amazonaws.com', 'ThrottlingException', false, 'Management',
		   '111122223333', 'us-east-1'),
		  (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
		  (4, '2025-03-05 00:00:00+00', '2025-03-05 00:00:00', '2025-03-03', 'Decoy', NULL,
		   '{}', '%', 'decoy.amazonaws.com', 'Decoy', true, 'Insight',
		   '999999999999', 'ap-south-1'),
		  (5, '2025-03-04 06:00:00+00', '2025-03-04 06:00:00', '2025-03-06', 'E5', 'E1',
		   '{E2,E4}', 'E_', 'sts.amazonaws.com', NULL, NULL, 'NetworkActivity',
		   '444455556666', 'us-east-1');
		ANALYZE outer_vals;
	});
	my @jquals = (
		't.event_time >= o.o_ts',
		't.event_time > o.o_ts',
		't.event_time < o.o_ts',
		't.event_time <= o.o_ts',
		't.event_time = o.o_ts',
		't.event_time >= o.o_ts AND t.event_time < o.o_ts + interval \'2 hours\'',
		't.event_time >= o.o_d AND t.event_time < o.o_d + 1',
		't.event_time >= o.o_lts',
		'o.o_ts > t.event_time',
		't.event_time::date = o.o_d',
		'date_trunc(\'hour\', t.event_time) = o.o_ts',
		't.event_name = o.o_name',
		't.event_name = o.o_name OR t.event_name = o.o_name2',
		't.event_name = ANY (o.o_names)',
		't.event_name LIKE o.o_pat',
		't.event_source = o.o_src',
		't.error_code = o.o_err',
		't.read_only = o.o_b',
		't.event_category = o.o_cat',
		't.recipient_account_id = o.o_acct',
		't.aws_region = o.o_region',
		't.recipient_account_id = o.o_acct AND t.aws_region = o.o_region AND t.event_time >= o.o_d',
		't.event_name = o.o_name AND t.read_only = o.o_b',
	);
	my $jrow = qq{o.o_id || '/' || concat_ws(',', t.source_file, t.record_index, t.event_time,
		t.event_name, t.event_source, t.error_code, t.read_only, t.event_category,
		t.recipient_account_id, t.aws_region)};
	my $jquery = sub {
		my ($join, $from, $q) = @_;
		return "SELECT count(*) || ' ' || coalesce(md5(string_agg(x, '|' ORDER BY x)), '-')
		        FROM (SELECT $jrow AS x FROM outer_vals o $join $from ON $q) z";
	};
	my $pushed = "trail.read('$root/clean') t";
	my $plain = "(SELECT * FROM trail.read('$root/clean') OFFSET 0) t";
	# a nested loop whatever the clause, so that every one is tried as a
	# parameterized path; without Memoize, one rescan per outer row
	my $nl = 'SET enable_hashjoin = off; SET enable_mergejoin = off; SET enable_material = off;';
	my %jsetup = (
		'serial' => $nl,
		'serial, no Memoize' => "$nl SET enable_memoize = off;",
		'parallel' => "$parallel $nl",);
	for my $mode (sort keys %jsetup)
	{
		my $setup = $jsetup{$mode};
		for my $join ('JOIN', 'LEFT JOIN')
		{
			for my $q (@jquals)
			{
				compare("trail.read, $mode, $join on $q", $setup,
					$jquery->($join, $pushed, $q), $jquery->($join, $plain, $q));
			}
		}
	}
	# each clause is in the scan (its Filter names the outer row), under a
	# nested loop, and the files each loop reads are counted
	for my $q (@jquals)
	{
		my $plan = $node->safe_psql('postgres',
			"$jsetup{'serial, no Memoize'} EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) "
			  . $jquery->('JOIN', $pushed, $q));
		like($plan,
			qr/Nested Loop.*Custom Scan \(trail\.read\) \(actual rows=\d+ loops=5\)\n\s+Filter: [^\n]*\bo\.o_.*Trail Files: \d+ of \d+/s,
			"trail.read's scan takes the join clause $q as a parameter")
		  or diag($plan);
	}
	# the planner takes the parameterized path itself when it prunes files
	my $plan = $node->safe_psql('postgres',
		"EXPLAIN (COSTS OFF) SELECT o.o_id, count(*) FROM outer_vals o
		 JOIN $pushed ON t.event_time >= o.o_d AND t.event_time < o.o_d + 1 GROUP BY 1");
	like($plan, qr/Nested Loop.*Custom Scan \(trail\.read\)\n\s+Filter: .*o\.o_d/s,
		'a join on days gives trail.read a parameterized path without any setting')
	  or diag($plan);
	$node->safe_psql('postgres', 'DROP TABLE outer_vals');
}

# ---------------------------------------------------------------------------
# Folder pruning in the walk: a week of three accounts (one under an
# organization), two regions, with digests.  One file is delivered two
# days after its events and a digest lists it: a walk for those events
# skips its day folder, and the digest must bring it back.  Files
# delivered hours late (within max_delivery_delay) across midnight are
# listed by no digest: the delivery rule must keep their folders.

{
	my $wroot = "$root/walk";
	my %listed;			# digest folder key => [ [key, oldest, newest], ... ]
	my $wday = timegm(0, 0, 0, 1, 2, 2025);	# 2025-03-01
	my @waccounts = ([ '111122223333', '' ], [ '444455556666', 'o-aa11bb22cc/' ],
		[ '777788889999', '' ]);
	my $hex = '0' x 64;
	my $iso = sub { strftime('%Y-%m-%dT%H:%M:%SZ', gmtime shift) };

	# a log file delivered at $d with records at @times; $digest: listed
	my $wfile = sub {
		my ($account, $org, $region, $d, $digest, @times) = @_;
		my @recs = map {
			record(time => $_, account => $account, region => $region,
				category => mgmt_or_data())
		} @times;
		my $stamp = strftime('%Y%m%dT%H%MZ', gmtime $d);
		my $ymd = strftime('%Y/%m/%d', gmtime $d);
		my $key = sprintf('AWSLogs/%s%s/CloudTrail/%s/%s/%s_CloudTrail_%s_%s_%04d.json.gz',
			$org, $account, $region, $ymd, $account, $region, $stamp, $nfiles);
		put("$wroot/$key", '{"Records":[' . join(',', @recs) . ']}', 1);
		return unless $digest;
		my ($lo, $hi) = (sort { $a <=> $b } map { int($_) } @times)[ 0, -1 ];
		push @{ $listed{"$org$account $region $digest"} }, [ $key, $lo, $hi + 1 ];
	};

	for my $a (@waccounts)
	{
		my ($account, $org) = @$a;
		for my $region (@regions)
		{
			for my $day (0 .. 6)
			{
				for my $h (1, 9.5, 16, 23.9)
				{
					my $d = $wday + $day * 86400 + int($h * 3600);
					# listed by the digest of the day, delivered at 23:55
					$wfile->($account, $org, $region, $d,
						$h < 23.9 ? $wday + $day * 86400 + 23 * 3600 + 55 * 60 : undef,
						map { $d - rand(5 * 3600) } 1 .. 3);
				}
			}
		}
	}
	# 2025-03-03 10:00-10:40, delivered 2025-03-05 12:00, listed by the
	# digest of 2025-03-05
	$wfile->('111122223333', '', 'us-east-1', $wday + 4 * 86400 + 12 * 3600,
		$wday + 4 * 86400 + 23 * 3600 + 55 * 60,
		map { $wday + 2 * 86400 + 10 * 3600 + $_ * 600 } 0 .. 4);
	# 2025-03-04 22:00-23:59, delivered 2025-03-05 03:30: no digest
	$wfile->('444455556666', 'o-aa11bb22cc/', 'eu-west-1', $wday + 4 * 86400 + 3.5 * 3600,
		undef, map { $wday + 3 * 86400 + 22 * 3600 + $_ * 1790 } 0 .. 4);
	$wfile->('777788889999', '', 'us-east-1', $wday + 5 * 86400 + 5 * 3600,
		undef, $wday + 4 * 86400 + 23 * 3600 + 3599, $wday + 5 * 86400 + 1);

	for my $k (sort keys %listed)
	{
		my ($prefix, $region, $at) = split / /, $k;
		my ($account) = $prefix =~ /(\d{12})$/;
		my $ymd = strftime('%Y/%m/%d', gmtime $at);
		my $key = sprintf('AWSLogs/%s/CloudTrail-Digest/%s/%s/%s_CloudTrail-Digest_%s_t_us-east-1_%s.json.gz',
			$prefix, $region, $ymd, $account, $region, strftime('%Y%m%dT%H%M%SZ', gmtime $at));
		my $logs = join(',', map {
			sprintf('{"s3Bucket":"b","s3Object":"%s","hashValue":"%s","oldestEventTime":"%s","newestEventTime":"%s"}',
				$_->[0], $hex, $iso->($_->[1]), $iso->($_->[2]))
		} @{ $listed{$k} });
		put("$wroot/$key",
			sprintf('{"awsAccountId":"%s","digestStartTime":"%s","digestEndTime":"%s","digestS3Bucket":"b","digestS3Object":"%s","digestPublicKeyFingerprint":"f","digestSignatureAlgorithm":"SHA256withRSA","previousDigestSignature":null,"logFiles":[%s]}',
				$account, $iso->($at - 86400), $iso->($at), $key, $logs), 1);
	}

	$node->safe_psql('postgres', qq{
		CREATE FOREIGN TABLE walk_t ($cols) SERVER s OPTIONS (location '$wroot');
		CREATE FOREIGN TABLE walk_nofp_t ($cols) SERVER s
		  OPTIONS (location '$wroot/AWSLogs', folder_pruning 'false');});

	my @wquals = (
		"event_time >= '2025-03-04' AND event_time < '2025-03-05'",
		"event_time >= '2025-03-03 10:00' AND event_time < '2025-03-03 11:00'",
		"event_time >= '2025-03-03 10:20' AND event_time <= '2025-03-03 10:20'",
		"event_time >= '2025-03-04 23:00' AND event_time < '2025-03-05 00:00'",
		"event_time >= '2025-03-05 00:00' AND event_time < '2025-03-05 00:15'",
		"event_time BETWEEN '2025-03-06 23:50' AND '2025-03-07 00:10'",
		"event_time < '2025-03-02'",
		"event_time >= '2025-03-07'",
		"event_time::date = '2025-03-05'",
		"date_trunc('day', event_time) = '2025-03-03'",
		"event_time >= '2025-03-03' AND event_time < '2025-03-04' AND recipient_account_id = '111122223333'",
		"event_time >= '2025-03-04 20:00' AND recipient_account_id = '444455556666' AND aws_region = 'eu-west-1'",
		"recipient_account_id = '777788889999'",
		"aws_region = 'eu-west-1'",
		"recipient_account_id IN ('111122223333', '444455556666') AND aws_region = 'us-east-1' AND event_time < '2025-03-03 12:00'",
		"event_category = 'Insight' AND event_time >= '2025-03-03'",
		"event_time >= '2025-03-04' AND event_time < '2025-03-03'",
		"event_time >= (SELECT '2025-03-03 10:00'::timestamptz) AND event_time < '2025-03-03 11:00'",
	);
	my %walk_src = (
		'foreign table' => [ 'walk_t', '(SELECT * FROM walk_t OFFSET 0) s', '' ],
		'foreign table, folder_pruning false' =>
		  [ 'walk_nofp_t', '(SELECT * FROM walk_nofp_t OFFSET 0) s', '' ],
		'trail.read' => [
			"trail.read('$wroot')", "(SELECT * FROM trail.read('$wroot') OFFSET 0) s", ''
		],
		'trail.read, trail.folder_pruning off' => [
			"trail.read('$wroot')", "(SELECT * FROM trail.read('$wroot') OFFSET 0) s",
			'SET trail.folder_pruning = off;'
		],);
	for my $mode ('serial', 'parallel')
	{
		for my $s (sort keys %walk_src)
		{
			my ($pushed, $plain, $set) = @{ $walk_src{$s} };
			my $setup = ($mode eq 'parallel' ? $parallel : '') . $set;
			for my $q (@wquals)
			{
				compare("walk, $s, $mode: $q", $setup, digest_query($pushed, $q),
					digest_query($plain, $q));
			}
		}
	}

	# an hour and a week of one location in one statement: two walks
	my $two = sub {
		my $from = shift;
		return "SELECT string_agg(x, ' ' ORDER BY x) FROM (
		          SELECT 'h' || count(*) AS x FROM $from WHERE event_time >= '2025-03-03 10:00' AND event_time < '2025-03-03 11:00'
		          UNION ALL
		          SELECT 'w' || count(*) FROM $from WHERE event_time >= '2025-03-01' AND event_time < '2025-03-08') z";
	};
	compare('walk: an hour and a week in one statement', '',
		$two->('walk_t'), $two->('(SELECT * FROM walk_t OFFSET 0) s'));
	compare('walk: an hour and a week in one statement, trail.read', '',
		$two->("trail.read('$wroot')"),
		$two->("(SELECT * FROM trail.read('$wroot') OFFSET 0) s"));
	is($node->safe_psql('postgres',
			"SELECT count(*) FROM walk_t WHERE event_time >= '2025-03-03 10:00' AND event_time < '2025-03-03 11:00'"),
		$node->safe_psql('postgres',
			"SELECT count(*) FROM walk_t WHERE event_time >= '2025-03-03 10:00' AND event_time < '2025-03-03 11:00' AND source_file LIKE '%20250305T1200Z%'")
		  + $node->safe_psql('postgres',
			"SELECT count(*) FROM walk_t WHERE event_time >= '2025-03-03 10:00' AND event_time < '2025-03-03 11:00' AND source_file NOT LIKE '%20250305T1200Z%'"),
		'walk: the hour holds the records of the file delivered two days late');
	cmp_ok($node->safe_psql('postgres',
			"SELECT count(*) FROM walk_t WHERE event_time >= '2025-03-03 10:00' AND event_time < '2025-03-03 11:00' AND source_file LIKE '%20250305T1200Z%'"),
		'==', 5, 'walk: all five of them');

	my $explain = sub {
		my ($from, $q, $setup) = @_;
		return $node->safe_psql('postgres', ($setup // '') . " EXPLAIN (COSTS OFF) SELECT count(*) FROM $from WHERE $q");
	};
	my $hour = "event_time >= '2025-03-03 10:00' AND event_time < '2025-03-03 11:00'";
	for my $from ('walk_t', "trail.read('$wroot')")
	{
		like($explain->($from, $hour),
			qr/Trail Folders: \d+ walked, [1-9]\d* skipped; 1 late file added from digests/,
			"walk, $from: EXPLAIN shows the folders skipped and the late file its digest added");
		like($explain->($from, "recipient_account_id = '777788889999' AND aws_region = 'eu-west-1'"),
			qr/Trail Files: 28 of 28\n.*Trail Folders: \d+ walked, [1-9]\d* skipped/,
			"walk, $from: by account and region, the walk lists only that folder's files");
		like($explain->($from, "event_time >= '2025-03-06 12:00' AND event_time < '2025-03-06 13:00'"),
			qr/Trail Files: \d+ of (?:[1-9]|[1-3]\d)\n.*Trail Folders: \d+ walked, [1-9]\d* skipped/,
			"walk, $from: an hour lists the files of two days, not the week's");
	}
	# (only the digest folder of each account: no time quals, no digests)
	like($explain->('walk_nofp_t', "recipient_account_id = '777788889999' AND aws_region = 'eu-west-1'"),
		qr/Trail Files: 171 of 171\n.*Trail Folders: \d+ walked, 3 skipped\n/,
		'walk: with folder_pruning false no folder is skipped by account or region');
}

# ---------------------------------------------------------------------------
# Records that contradict their folder (depends on trail.folder_pruning)

{
	my %wsrc = (
		'foreign table' => [ 'wrong_t', '(SELECT * FROM wrong_t OFFSET 0) s' ],
		'trail.read' => [
			"trail.read('$root/wrong')",
			"(SELECT * FROM trail.read('$root/wrong') OFFSET 0) s"
		],);
	my @wquals = grep { /recipient_account_id|aws_region|event_category/ } @quals;
	for my $s (sort keys %wsrc)
	{
		my ($pushed, $plain) = @{ $wsrc{$s} };
		for my $q (@wquals)
		{
			compare("wrong folders, $s, folder_pruning off: $q",
				'SET trail.folder_pruning = off; SET client_min_messages = error;',
				digest_query($pushed, $q), digest_query($plain, $q));
		}
	}
	my ($r, $o, $e) = $node->psql('postgres',
		"CREATE FOREIGN TABLE wrong_off ($cols) SERVER s
		 OPTIONS (location '$root/wrong', folder_pruning 'false')");
	is($r, 0, 'the table option folder_pruning');
	for my $q (@wquals)
	{
		compare("wrong folders, table option folder_pruning false: $q",
			'SET client_min_messages = error;',
			digest_query('wrong_off', $q),
			digest_query('(SELECT * FROM wrong_off OFFSET 0) s', $q));
	}
	# a scan that prunes by folder checks every record (one that does not,
	# only the first of each file: t/006_scans.pl)
	my $by_folder = "event_category IN ('Management', 'Data', 'Insight', 'NetworkActivity')";
	($r, $o, $e) = $node->psql('postgres', "SELECT count(*) FROM wrong_t WHERE $by_folder");
	like($e, qr/WARNING: .*folder/, 'with folder pruning on, a scan that prunes by folder and meets such a record warns');
	($r, $o, $e) = $node->psql('postgres', "SELECT count(*) FROM trail.read('$root/wrong') WHERE $by_folder");
	like($e, qr/WARNING: .*folder/, 'and so does trail.read');
	($r, $o, $e) = $node->psql('postgres', 'SELECT count(*) FROM clean_t');
	unlike($e, qr/WARNING/, 'a tree without such records gives no WARNING');
}

$node->stop;
done_testing();
