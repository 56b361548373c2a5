# t/012_detections.pl — the detections held to real attacks, and the
# example queries kept from rotting.
#
#  1. Over the bundled sample (demo/AWSLogs, through the foreign table, with
#     the standard, credentials and detection views beside it): exactly the
#     expected rules fire, and every file of examples/ runs without error and
#     returns the columns its "-- columns:" line promises.
#  2. The Stratus Red Team corpus (real CloudTrail logs of attack techniques,
#     shared/corpus/files/stratus-red-team; skipped when absent): each
#     technique fires the rules listed for it below.  Every technique in the
#     corpus is listed, so a new file fails until someone says what it fires.
use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(basename dirname);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::RecursiveCopy;
use PostgreSQL::Test::Utils;
use Test::More;

# technique (file name without aws. and .json) => rules it must fire
my %expect = (
	'credential-access.ec2-get-password-data' => [qw(ec2_password_data_read access_denied_burst)],
	'credential-access.ec2-steal-instance-credentials' => [qw(ssm_run_shell_command ssm_instance_enumeration_burst)],
	'credential-access.secretsmanager-batch-retrieve-secrets' => [qw(secrets_batch_retrieved)],
	'credential-access.secretsmanager-retrieve-secrets' => [qw(secrets_read_burst)],
	'credential-access.ssm-retrieve-securestring-parameters' => [qw(ssm_parameters_decrypted_in_bulk)],
	'defense-evasion.cloudtrail-delete' => [qw(cloudtrail_trail_deleted)],
	'defense-evasion.cloudtrail-event-selectors' => [qw(cloudtrail_selectors_reduced cloudtrail_selectors_changed)],
	'defense-evasion.cloudtrail-stop' => [qw(cloudtrail_logging_stopped)],
	'defense-evasion.dns-delete-logs' => [qw(dns_query_logging_deleted)],
	'defense-evasion.organizations-leave' => [qw(organization_left)],
	'defense-evasion.vpc-remove-flow-logs' => [qw(vpc_flow_logs_deleted)],
	'discovery.ec2-download-user-data' => [qw(ec2_user_data_read access_denied_burst)],
	'execution.ec2-launch-unusual-instances' => [qw(ec2_unusual_instances)],
	'execution.ec2-user-data' => [qw(ec2_user_data_modified)],
	'execution.ssm-send-command' => [qw(ssm_run_shell_command ssm_instance_enumeration_burst)],
	'execution.ssm-start-session' => [qw(ssm_session_started ssm_instance_enumeration_burst)],
	'exfiltration.ec2-security-group-open-port-22-ingress' => [qw(security_group_open_to_world)],
	'exfiltration.ec2-share-ami' => [qw(ami_shared)],
	'exfiltration.ec2-share-ebs-snapshot' => [qw(ebs_snapshot_shared)],
	'exfiltration.rds-share-snapshot' => [qw(rds_snapshot_shared)],
	'impact.bedrock-invoke-model' => [qw(bedrock_model_access_enabled bedrock_model_recon)],
	'initial-access.console-login-without-mfa' => [qw(console_login_without_mfa)],
	'lateral-movement.ec2-instance-connect' => [qw(ec2_instance_connect_key)],
	'lateral-movement.ec2-serial-console-send-ssh-public-key' => [qw(ec2_serial_console)],
	'persistence.iam-backdoor-role' => [qw(iam_role_trusts_outsider iam_role_trust_changed)],
	'persistence.iam-backdoor-user' => [qw(iam_access_key_for_other_user)],
	'persistence.iam-create-admin-user' => [qw(iam_user_created iam_admin_policy_attached iam_access_key_for_other_user)],
	'persistence.iam-create-backdoor-role' => [qw(iam_role_trusts_outsider iam_admin_policy_attached)],
	'persistence.iam-create-user-login-profile' => [qw(iam_login_profile_created)],
	'persistence.lambda-backdoor-function' => [qw(lambda_public_permission)],
	'persistence.lambda-layer-extension' => [qw(lambda_layer_attached)],
	'persistence.lambda-overwrite-code' => [qw(lambda_code_updated)],
	'persistence.rolesanywhere-create-trust-anchor' => [qw(rolesanywhere_trust_anchor)],
	'persistence.sts-federation-token' => [qw(sts_federation_token)],
	'privilege-escalation.iam-update-user-login-profile' => [qw(iam_login_profile_updated)],
);

my $repo = abs_path(dirname(__FILE__) . '/..');
my $root = $ENV{TRAIL_REPO_ROOT} // $repo;
my $examples = -d "$root/examples" ? "$root/examples" : "$repo/examples";

my $node = PostgreSQL::Test::Cluster->new('detections');
$node->init;
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION trail');

# ---------------------------------------------------------------------------
# 1. the examples, over the bundled sample
my $tmp = PostgreSQL::Test::Utils::tempdir();
PostgreSQL::Test::RecursiveCopy::copypath("$root/demo/AWSLogs", "$tmp/AWSLogs");
$node->safe_psql('postgres', qq{
	CREATE SERVER sample FOREIGN DATA WRAPPER trail_fdw;
	CREATE SCHEMA audit;
	IMPORT FOREIGN SCHEMA trail FROM SERVER sample INTO audit OPTIONS (location '$tmp/AWSLogs');
	SELECT count(*) FROM trail.create_views('audit.events');
	SELECT trail.create_credentials_view('audit.events');
	SELECT count(*) FROM trail.create_detections('audit.events');
});

# What fires on the sample: its scripted incident (a key used from outside
# creates an admin user with a key and stops the trail) and the ordinary
# events the rules report by design; nothing else.
my $sample = $node->safe_psql('postgres', q{
	SELECT string_agg(rule || ' ' || n, ', ' ORDER BY rule)
	FROM (SELECT rule, count(*) AS n FROM (SELECT rule FROM audit.detections
	                                       UNION ALL SELECT rule FROM audit.detection_bursts) d
	      GROUP BY rule) c});
is($sample,
	'cloudtrail_logging_stopped 1, console_login_failure 5, console_login_without_mfa 2, '
	  . 'iam_access_key_for_other_user 1, iam_admin_policy_attached 1, iam_user_created 1, '
	  . 'identity_deleted 1, lambda_code_updated 1, root_console_login 1',
	'the rules that fire on the bundled sample');

# the demo's report (the README's first command) runs to its end over the
# sample, detections included
{
	my $report = -f "$root/demo/report.sql" ? "$root/demo/report.sql" : "$repo/demo/report.sql";
	my ($rc, $out, $err) = $node->psql('postgres', undef,
		extra_params => [ '-v', 'ON_ERROR_STOP=1', '-v', "logs=$tmp/AWSLogs", '-f', $report ]);
	is($rc, 0, 'demo/report.sql runs over the sample without an error') or diag($err);
	like($out, qr/cloudtrail_logging_stopped.*user\/svc-backup/,
		'and its detections name who acted');
}

my @files = sort glob("$examples/*.sql");
cmp_ok(scalar(@files), '>=', 30, 'at least 30 example queries');
for my $file (@files)
{
	my $name = basename($file);
	open my $fh, '<', $file or die "$file: $!";
	my $sql = do { local $/; <$fh> };
	close $fh;
	my ($columns) = $sql =~ /^-- columns: (.*)$/m;
	ok(defined $columns, "$name says which columns it returns") or next;
	my ($rc, $out, $err) = $node->psql('postgres', "SET search_path = audit, public;\n$sql",
		extra_params => [ '-A', '-F', '|', '-P', 'tuples_only=off', '-P', 'footer=off', '-v', 'ON_ERROR_STOP=1' ]);
	is($rc, 0, "$name runs") or diag($err);
	my ($header, @rows) = split /\n/, $out;
	$columns =~ s/, /|/g;
	is($header // '', $columns, "$name returns its columns");
	note "$name: " . scalar(@rows) . " rows over the sample";
}

# ---------------------------------------------------------------------------
# 2. the Stratus Red Team corpus
my @candidates = grep { defined } (
	$ENV{TRAIL_CORPUS_DIR},
	(defined $ENV{TRAIL_REPO_ROOT} ? "$ENV{TRAIL_REPO_ROOT}/../shared/corpus/files" : undef),
	"$repo/../shared/corpus/files");
my ($corpus) = grep { -d "$_/stratus-red-team" } @candidates;
SKIP:
{
	skip 'no Stratus Red Team corpus (looked in: ' . join(', ', @candidates) . ')', 1
	  unless defined $corpus;
	PostgreSQL::Test::RecursiveCopy::copypath("$corpus/stratus-red-team", "$tmp/stratus");
	$node->safe_psql('postgres', qq{
		CREATE SCHEMA stratus;
		CREATE TABLE stratus.events AS SELECT * FROM trail.read('$tmp/stratus');
		SELECT count(*) FROM trail.create_detections('stratus.events');
	});
	my $fired = $node->safe_psql('postgres', q{
		SELECT regexp_replace(e.source_file, '^.*/aws\.|\.json$', '', 'g'),
		       coalesce(string_agg(DISTINCT d.rule, ' ' ORDER BY d.rule), '')
		FROM stratus.events e
		LEFT JOIN (SELECT rule, event_id FROM stratus.detections
		           UNION ALL SELECT rule, event_id FROM stratus.detection_bursts) d USING (event_id)
		GROUP BY 1 ORDER BY 1});
	my %got = map { split /\|/, $_, 2 } split /\n/, $fired;
	for my $technique (sort keys %got)
	{
		my %rules = map { $_ => 1 } split / /, $got{$technique};
		ok(exists $expect{$technique}, "technique $technique is listed in this test")
		  or next;
		my @missing = grep { !$rules{$_} } @{ $expect{$technique} };
		is("@missing", '', "$technique fires " . join(', ', @{ $expect{$technique} }));
		note "$technique fires: $got{$technique}";
	}
	for my $technique (sort keys %expect)
	{
		ok(exists $got{$technique}, "technique $technique is in the corpus");
	}
	# no false alarm of the top severity on the attack-free records: the
	# AssumeRole calls that set the techniques up
	my $setup = $node->safe_psql('postgres', q{
		SELECT count(*) FROM stratus.detections d JOIN stratus.events e USING (event_id)
		WHERE e.event_name = 'AssumeRole' AND e.error_code IS NULL});
	is($setup, '0', 'the set-up AssumeRole calls fire nothing');
}

$node->stop;
done_testing();
