# t/010_store_cron.pl — trail.sync scheduled with pg_cron, for real: a job
# syncs a store and refreshes a daily materialized view every minute; files
# added to the tree show up in both without anyone calling sync.
use strict;
use warnings;

use File::Path qw(make_path);
use IO::Compress::Gzip qw(gzip $GzipError);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('cron');
$node->init;
my $pkglibdir = $node->config_data('--pkglibdir');
plan skip_all => "pg_cron is not installed ($pkglibdir/pg_cron.so; Debian: postgresql-15-cron)"
  unless -e "$pkglibdir/pg_cron.so";

# pg_cron runs each job over a libpq connection: to this node's socket
$node->append_conf('postgresql.conf',
	"shared_preload_libraries = 'pg_cron'\n"
	  . "cron.database_name = 'postgres'\n"
	  . "cron.host = '" . $node->host . "'\n");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION pg_cron; CREATE EXTENSION trail');

my $dir = PostgreSQL::Test::Utils::tempdir();
my $tree = "$dir/AWSLogs";

sub log_file
{
	my ($hhmm, $tag, @times) = @_;
	my $path = "$tree/111122223333/CloudTrail/eu-west-1/2025/03/04";
	make_path($path);
	my $i = 0;
	my $json = '{"Records":[' . join(
		',',
		map {
			$i++;
			sprintf '{"eventVersion":"1.09","eventTime":"2025-03-04T%sZ","eventName":"PutObject",'
			  . '"eventSource":"s3.amazonaws.com","awsRegion":"eu-west-1","readOnly":false,'
			  . '"eventID":"00000000-0000-4000-8000-%s%06d","recipientAccountId":"111122223333"}',
			  $_, unpack('H6', $tag), $i
		} @times) . ']}';
	gzip(\$json => "$path/111122223333_CloudTrail_eu-west-1_20250304T${hhmm}Z_$tag.json.gz")
	  or die $GzipError;
}

log_file('0905', 'aaa', '09:00:01', '09:01:02');

# A store, a daily report over it, and a procedure that runs both: one job,
# so that the refresh follows the sync (a CALL inside a procedure may still
# commit; two statements in one job would be one transaction).
$node->safe_psql('postgres', qq{
CREATE SCHEMA audit;
SELECT trail.create_store('audit.events');
CREATE MATERIALIZED VIEW audit.daily_writes AS
SELECT date_trunc('day', event_time) AS day, event_name, count(*) AS events
FROM audit.events WHERE read_only IS FALSE GROUP BY 1, 2;
CREATE PROCEDURE audit.refresh() LANGUAGE plpgsql AS \$\$
BEGIN
    CALL trail.sync('audit.events', '$tree');
    REFRESH MATERIALIZED VIEW audit.daily_writes;
END
\$\$;
SELECT cron.schedule('trail-sync', '* * * * *', 'CALL audit.refresh()');
});

# pg_cron's finest schedule is a minute (Debian 12 has 1.4, without the
# seconds syntax of 1.5); poll_query_until allows three
ok($node->poll_query_until('postgres', 'SELECT count(*) = 2 FROM audit.events'),
	'the scheduled sync loaded the first file');

log_file('0910', 'bbb', '09:05:00', '09:06:00', '09:07:00');
log_file('0915', 'ccc', '09:10:00');
ok( $node->poll_query_until('postgres',
		"SELECT coalesce(sum(events), 0) = 6 FROM audit.daily_writes WHERE day = '2025-03-04'"),
	'files added later are in the store and in the refreshed view');
is($node->safe_psql('postgres', 'SELECT count(*), count(DISTINCT event_id) FROM audit.events'),
	'6|6', 'each event once');
is( $node->safe_psql('postgres',
		"SELECT count(*) FROM cron.job_run_details WHERE status <> 'succeeded' AND status <> 'running'"),
	'0', 'no run of the job failed');

$node->safe_psql('postgres', "SELECT cron.unschedule('trail-sync')");
done_testing();
