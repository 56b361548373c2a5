# t/TrailMem.pm — how much a query makes its backend grow.
#
#   use FindBin;
#   use lib $FindBin::Bin;
#   use TrailMem;
#
#   my ($growth_kb, $stdout, $stderr) =
#     TrailMem::peak_growth_kb($node, 'postgres', $sql, warmup => $sql0);
#
# Runs, in one session (one psql, one backend): the warm-up statements
# (default: load trail and read a trivial document, so that the library and
# catalog caches are counted before), then reads the backend's peak resident
# size (VmHWM from /proc/<pg_backend_pid()>/status, read by the backend
# itself with pg_read_file, so the caller must connect as a superuser), then
# $sql (any statements), then VmHWM again.  Returns the growth of the peak
# in kB, and psql's stdout (without the measuring lines) and stderr (the
# WARNINGs and NOTICEs of $sql).  Dies when a measurement is missing, for
# example because $sql failed and stopped the script.
#
# Peak memory only grows, so measure each query in its own call.
package TrailMem;

use strict;
use warnings;

my $hwm_sql = q{SELECT 'trail_mem_%s:' || (regexp_match(pg_read_file(format('/proc/%%s/status', pg_backend_pid())), 'VmHWM:\s+(\d+) kB'))[1];};

sub peak_growth_kb
{
	my ($node, $dbname, $sql, %opts) = @_;
	my $warmup = $opts{warmup}
	  // q{SELECT count(*) FROM trail.parse('{"Records":[]}');};
	my $script = join("\n",
		$warmup, sprintf($hwm_sql, 'before'),
		$sql, sprintf($hwm_sql, 'after'));
	my ($ret, $stdout, $stderr) =
	  $node->psql($dbname, $script, on_error_stop => 1);
	my ($before, $output, $after) =
	  $stdout =~ /^trail_mem_before:(\d+)\n(.*?)^trail_mem_after:(\d+)$/ms;
	die "TrailMem: no measurement (psql exit $ret): $stderr"
	  unless defined $before && defined $after;
	chomp $output;
	return ($after - $before, $output, $stderr);
}

1;
