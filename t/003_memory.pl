# t/003_memory.pl — memory stays bounded by the largest record, whatever
# is skipped: a file of a million bad records read with on_error 'skip'
# grows the backend by far less than the file (before, every skipped
# record's error text stayed in memory until the end of the file).
# t/TrailMem.pm measures; other memory checks can use it the same way.
use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use TrailMem;

my $node = PostgreSQL::Test::Cluster->new('memory');
$node->init;
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION trail');

my $dir = PostgreSQL::Test::Utils::tempdir();
my $nbad = 1_000_000;
my $file = "$dir/many-bad.json";
{
	open my $out, '>', $file or die $!;
	print $out '{"Records":[', join(',', (1) x $nbad), ']}';
	close $out;
}
note sprintf 'file of %d bad records: %.1f MB', $nbad, (-s $file) / 1e6;

my $limit_kb = 64 * 1024;

my ($growth, $stdout, $stderr) = TrailMem::peak_growth_kb($node, 'postgres',
	"SELECT count(*) FROM trail.read('$file', on_error => 'skip');");
note "trail.read, on_error skip: peak grew by $growth kB";
is($stdout, '0', 'no row from a file of bad records');
like($stderr, qr/WARNING:  skipped $nbad bad records and 0 unreadable files/,
	'the WARNING counts every bad record');
like($stderr, qr/\.\.\. and ${\($nbad - 5)} more\./,
	'and names only the first five');
cmp_ok($growth, '<', $limit_kb,
	'skipping a million bad records keeps the backend under 64 MB of growth');

$node->safe_psql('postgres', qq{
	CREATE SERVER s FOREIGN DATA WRAPPER trail_fdw;
	CREATE FOREIGN TABLE many_bad (event_name text) SERVER s
	  OPTIONS (location '$file', on_error 'skip');
});
($growth, $stdout, $stderr) = TrailMem::peak_growth_kb($node, 'postgres',
	'SELECT count(*) FROM many_bad;');
note "foreign table, on_error skip: peak grew by $growth kB";
like($stderr, qr/WARNING:  skipped $nbad bad records/,
	'the foreign table counts them too');
cmp_ok($growth, '<', $limit_kb, 'in bounded memory too');

# bad records of another kind: LookupEvents whose CloudTrailEvent string is
# not JSON (the error is made while unescaping the string)
my $file2 = "$dir/many-bad-strings.json";
my $nbad2 = 500_000;
{
	open my $out, '>', $file2 or die $!;
	print $out '{"Events":[', join(',', ('{"CloudTrailEvent":"{\\"no"}') x $nbad2), ']}';
	close $out;
}
($growth, $stdout, $stderr) = TrailMem::peak_growth_kb($node, 'postgres',
	"SELECT count(*) FROM trail.read('$file2', on_error => 'skip');");
note "CloudTrailEvent strings that are not JSON: peak grew by $growth kB";
like($stderr, qr/WARNING:  skipped $nbad2 bad records and 0 unreadable files/,
	'every bad string is counted');
like($stderr, qr/CloudTrailEvent is not valid JSON/, 'and named');
cmp_ok($growth, '<', $limit_kb, 'in bounded memory too');

$node->stop;
done_testing();
