# t/004_encodings.pl — values in databases whose encoding is not UTF-8.
#
# CloudTrail files are UTF-8; characters come as raw bytes or as \uXXXX
# escapes.  In a LATIN1 and an EUC_JP database every column that holds
# text (text, jsonb, json, field columns of every type, user_identity)
# must hold the characters in the server encoding, through trail.read and
# through the foreign table; a character the server encoding lacks is a
# clean error (22P05 untranslatable_character), skipped with on_error
# 'skip'.  The SQL text here is ASCII only: characters are named by their
# UTF-8 bytes through convert_from(..., 'UTF8').
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('encodings');
$node->init;
$node->start;

my $dir = PostgreSQL::Test::Utils::tempdir();

sub write_file
{
	my ($name, $text) = @_;
	open my $fh, '>:raw', "$dir/$name" or die $!;
	print $fh $text;
	close $fh;
	return "$dir/$name";
}

# "caf\u00e9" escaped; "M\xc3\xbcller" raw UTF-8; a key with an escape and
# one with raw bytes
my $base = '"eventVersion":"1.11","eventTime":"2025-03-04T09:15:02Z",'
  . '"eventSource":"s3.amazonaws.com","awsRegion":"us-east-1",'
  . '"eventCategory":"Management","recipientAccountId":"111122223333"';
my $latin = write_file('latin.json',
	    '{"Records":[{' 
	  . $base
	  . ',"eventName":"caf\u00e9","userAgent":"M' . "\xc3\xbc" . 'ller",'
	  . '"userIdentity":{"type":"IAMUser","userName":"jos\u00e9"},'
	  . '"requestParameters":{"k\u00e9y":"caf\u00e9","r' . "\xc3\xa4" . 'w":"'
	  . "\xc3\xbc" . '","n":1}}]}');
# escapes only: no raw byte >= 0x80 in the whole record
my $latin_esc = write_file('latin-esc.json',
	'{"Records":[{' . $base . ',"eventName":"caf\u00e9",'
	  . '"userIdentity":{"type":"IAMUser","userName":"jos\u00e9"},'
	  . '"requestParameters":{"k\u00e9y":"caf\u00e9"}}]}');
# \u65e5\u672c escaped and the same characters raw
my $jp = write_file('jp.json',
	    '{"Records":[{' 
	  . $base
	  . ',"eventName":"\u65e5\u672c","userAgent":"' . "\xe6\x97\xa5\xe6\x9c\xac" . '",'
	  . '"userIdentity":{"type":"IAMUser","userName":"\u65e5\u672c"},'
	  . '"requestParameters":{"\u65e5":"' . "\xe6\x9c\xac" . '"}}]}');
# one character LATIN1 lacks, in one place each (record 2 of 3)
my $ok_rec = '{' . $base . ',"eventName":"Ok"}';
my %lacks = (
	event_name => '"eventName":"\u65e5"',
	raw_bytes => '"eventName":"x","userAgent":"' . "\xe6\x97\xa5" . '"',
	jsonb => '"eventName":"x","requestParameters":{"k":"\u65e5"}',
	jsonb_key => '"eventName":"x","requestParameters":{"\u65e5":1}',
	user_identity => '"eventName":"x","userIdentity":{"userName":"\u65e5"}',);
my %lacks_file;
for my $k (sort keys %lacks)
{
	$lacks_file{$k} = write_file("lacks-$k.json",
		    '{"Records":[' 
		  . $ok_rec . ',{'
		  . $base . ','
		  . $lacks{$k} . '},'
		  . $ok_rec
		  . ']}');
}

# the SQLSTATE of a query's error, or 'ok'
my $helpers = q{
CREATE FUNCTION sqlstate_of(query text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r record; st text;
BEGIN
    FOR r IN EXECUTE query LOOP END LOOP;
    RETURN 'ok';
EXCEPTION WHEN others THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE;
    RETURN st;
END $$;
CREATE FUNCTION u(bytes text) RETURNS text LANGUAGE sql
  AS $$ SELECT convert_from(decode(bytes, 'hex'), 'UTF8') $$;
CREATE FUNCTION hex(t text) RETURNS text LANGUAGE sql
  AS $$ SELECT encode(convert_to(t, 'UTF8'), 'hex') $$;
CREATE SERVER s FOREIGN DATA WRAPPER trail_fdw;
};

for my $enc ('LATIN1', 'EUC_JP')
{
	my $db = lc $enc;
	$node->safe_psql('postgres',
		"CREATE DATABASE $db ENCODING '$enc' TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'"
	);
	$node->safe_psql($db, 'CREATE EXTENSION trail');
	$node->safe_psql($db, $helpers);
	is($node->safe_psql($db, 'SELECT getdatabaseencoding()'),
		$enc, "$enc: database created");

	# the same file through trail.read and a foreign table with field columns
	# (an OPTIONS value must be a literal: the statement is built)
	$node->safe_psql($db, qq{
		DO \$\$ BEGIN EXECUTE format(\$f\$
		CREATE FOREIGN TABLE t (event_name text, user_agent text,
		  user_identity jsonb, request_parameters jsonb, raw json,
		  user_name text,
		  f_key text OPTIONS (field %L),
		  f_raw_key text OPTIONS (field %L),
		  f_text text OPTIONS (field 'userIdentity.userName'),
		  f_varchar varchar(10) OPTIONS (field 'eventName'),
		  f_jsonb jsonb OPTIONS (field 'requestParameters'),
		  f_json json OPTIONS (field 'requestParameters'),
		  f_agent text OPTIONS (field 'userAgent'))
		SERVER s OPTIONS (location '$latin')\$f\$,
		  'requestParameters.' || u('6bc3a979'),
		  'requestParameters.' || u('72c3a477')); END \$\$});

	for my $src ('trail.read', 'foreign table')
	{
		my $from = $src eq 'trail.read' ? "trail.read('$latin')" : 't';
		my $f = "$enc, $src";
		is( $node->safe_psql(
				$db, "SELECT hex(event_name), length(event_name),
				  event_name = u('636166c3a9') FROM $from"),
			'636166c3a9|4|t',
			"$f: text from an escape (caf\\u00e9)");
		is( $node->safe_psql(
				$db, "SELECT hex(user_agent), length(user_agent) FROM $from"),
			'4dc3bc6c6c6572|6',
			"$f: text from raw UTF-8");
		is( $node->safe_psql(
				$db, "SELECT hex(user_identity->>'userName'),
				  user_identity = (raw->'userIdentity')::jsonb FROM $from"),
			'6a6f73c3a9|t',
			"$f: user_identity");
		is( $node->safe_psql(
				$db, "SELECT hex(request_parameters->>u('6bc3a979')),
				  hex(request_parameters->>u('72c3a477')),
				  request_parameters = (raw->'requestParameters')::jsonb,
				  length(request_parameters::text) FROM $from"),
			'636166c3a9|c3bc|t|' . length('{"n": 1, "kXy": "cafX", "rXw": "X"}'),
			"$f: jsonb keys and values, escaped and raw");
		is( $node->safe_psql(
				$db, "SELECT hex(raw->>'eventName'), hex(raw->>'userAgent'),
				  strpos(raw::text, 'caf\\u00e9') > 0 FROM $from"),
			'636166c3a9|4dc3bc6c6c6572|t',
			"$f: raw keeps escapes as written, raw bytes converted");
	}
	is( $node->safe_psql(
			$db, "SELECT hex(event_name), length(event_name), hex(user_identity->>'userName'),
			  hex(request_parameters->>u('6bc3a979')), hex(raw->>'eventName')
			  FROM trail.read('$latin_esc')"),
		'636166c3a9|4|6a6f73c3a9|636166c3a9|636166c3a9',
		"$enc: a record whose only non-ASCII characters are escapes");
	is( $node->safe_psql(
			$db, "SELECT hex(f_key), hex(f_raw_key), hex(f_text), length(f_text),
			  hex(f_varchar), hex(f_agent) FROM t"),
		'636166c3a9|c3bc|6a6f73c3a9|4|636166c3a9|4dc3bc6c6c6572',
		"$enc: text and varchar field columns, keys with non-ASCII characters");
	is( $node->safe_psql(
			$db, "SELECT f_jsonb = request_parameters, hex(f_jsonb->>u('6bc3a979')),
			  hex(f_json->>u('6bc3a979')), hex(f_json->>u('72c3a477')),
			  f_json::jsonb = f_jsonb FROM t"),
		't|636166c3a9|636166c3a9|c3bc|t',
		"$enc: json and jsonb field columns");
	is( $node->safe_psql(
			$db, "SELECT count(*) FROM t WHERE event_name = u('636166c3a9')"),
		'1',
		"$enc: a pushed-down qual with a non-ASCII value finds the row");
	is( $node->safe_psql(
			$db, "SELECT count(*) FROM trail.read('$latin') WHERE event_name = u('636166c3a9')"),
		'1',
		"$enc: the same through trail.read");

	# trail.parse(text): the text is in the server encoding
	{
		my ($r, $o, $e) = $node->psql(
			$db, "SELECT hex(event_name), hex(user_agent), hex(request_parameters->>u('6bc3a979'))
			  FROM trail.parse(convert_from(decode('"
			  . unpack('H*', slurp($latin)) . "', 'hex'), 'UTF8'))");
		is($o, '636166c3a9|4dc3bc6c6c6572|636166c3a9', "$enc: trail.parse(text)");
	}
	is( $node->safe_psql(
			$db, "SELECT hex(event_name), hex(user_agent) FROM trail.parse(decode('"
			  . unpack('H*', slurp($latin)) . "', 'hex'))"),
		'636166c3a9|4dc3bc6c6c6572',
		"$enc: trail.parse(bytea)");
}

# EUC_JP holds \u65e5\u672c
is( $node->safe_psql(
		'euc_jp', "SELECT hex(event_name), length(event_name), hex(user_agent),
		  length(user_agent), hex(user_identity->>'userName'),
		  hex(request_parameters->>u('e697a5')), hex(raw->>'eventName')
		  FROM trail.read('$jp')"),
	'e697a5e69cac|2|e697a5e69cac|2|e697a5e69cac|e69cac|e697a5e69cac',
	'EUC_JP: escaped and raw Japanese text, jsonb and raw');

# LATIN1 lacks U+65E5: a clean error wherever the character would be stored
for my $k (sort keys %lacks)
{
	my $col =
	    $k eq 'event_name' ? 'event_name'
	  : $k eq 'raw_bytes' ? 'user_agent'
	  : $k eq 'user_identity' ? 'user_identity'
	  : 'request_parameters';
	is( $node->safe_psql(
			'latin1', "SELECT sqlstate_of(\$\$SELECT $col FROM trail.read('$lacks_file{$k}')\$\$)"),
		'22P05',
		"LATIN1: a character LATIN1 lacks ($k) is 22P05");
}
is( $node->safe_psql(
		'latin1', "SELECT sqlstate_of(\$\$SELECT raw FROM trail.read('$lacks_file{raw_bytes}')\$\$)"),
	'22P05',
	'LATIN1: raw with a raw character LATIN1 lacks is 22P05');
is( $node->safe_psql(
		'latin1', "SELECT sqlstate_of(\$\$SELECT raw FROM trail.read('$lacks_file{event_name}')\$\$)"),
	'ok',
	'LATIN1: raw keeps escapes as written, so an escaped character is fine there');
my ($ret, $out, $err) = $node->psql('latin1',
	"SELECT event_name FROM trail.read('$lacks_file{event_name}')");
like(
	$err,
	qr/ERROR:  character with byte sequence 0xe6 0x97 0xa5 in encoding "UTF8" has no equivalent in encoding "LATIN1"\nDETAIL:  The character is in field "eventName".\nCONTEXT:  CloudTrail file ".*lacks-event_name.json", record 2/,
	'LATIN1: the message names the character, the field, the file and the record'
);
$node->safe_psql('latin1', qq{
	DO \$\$ BEGIN EXECUTE format(\$f\$
	CREATE FOREIGN TABLE lacks (event_name text,
	  f text OPTIONS (field 'userIdentity.userName'),
	  fj jsonb OPTIONS (field 'requestParameters'))
	SERVER s OPTIONS (location %L)\$f\$, '$dir'); END \$\$});
for my $c ('event_name', 'f', 'fj')
{
	is( $node->safe_psql(
			'latin1', "SELECT sqlstate_of(\$\$SELECT $c FROM lacks\$\$)"),
		'22P05',
		"LATIN1: foreign table column $c: 22P05");
}
($ret, $out, $err) = $node->psql('latin1',
	"SELECT count(*), count(event_name)
	 FROM trail.read('$lacks_file{event_name}', on_error => 'skip')");
is($out, '2|2', 'LATIN1: with on_error skip, the record is skipped');
like($err, qr/WARNING:  skipped 1 bad record/, 'and counted in the WARNING');
$node->safe_psql('latin1', qq{
	DO \$\$ BEGIN EXECUTE format(\$f\$
	CREATE FOREIGN TABLE lacks_jsonb (fj jsonb OPTIONS (field 'requestParameters'))
	SERVER s OPTIONS (location %L, on_error 'skip')\$f\$, '$lacks_file{jsonb}'); END \$\$});
($ret, $out, $err) = $node->psql('latin1', 'SELECT count(*), count(fj) FROM lacks_jsonb');
is($out, '2|0', 'LATIN1: a jsonb field column with a character LATIN1 lacks is skipped too');
like($err, qr/WARNING:  skipped 1 bad record/, 'and counted');

$node->stop;
done_testing();

sub slurp
{
	my ($path) = @_;
	open my $fh, '<:raw', $path or die $!;
	local $/;
	my $data = <$fh>;
	close $fh;
	return $data;
}
