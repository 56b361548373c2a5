#!/usr/bin/env bash
# bench/jq_run.sh - the jq peer: zcat every log file into one jq.
#
#   bench/jq_run.sh count|grouped|day LISTFILE [DAY]
#
# LISTFILE holds one log file path per line.  zcat and jq run side by side
# (a pipe), as an analyst would run them.  Prints the result on stdout:
# count/day: one number; grouped: "source<TAB>name<TAB>count" lines.
set -euo pipefail
query=${1:?query} list=${2:?list file} day=${3:-2025-03-10}
command -v jq >/dev/null || { echo "jq_run: jq not installed" >&2; exit 3; }
next=$(date -u -d "$day + 1 day" +%Y-%m-%d)

feed() { tr '\n' '\0' <"$list" | xargs -0 zcat --; }

case $query in
count)
	feed | jq -n 'reduce (inputs | .Records // [] | length) as $n (0; . + $n)'
	;;
grouped)
	feed | jq -n -r 'reduce (inputs | .Records // [] | .[] | select(.readOnly == false)
		| "\(.eventSource // "")\t\(.eventName // "")") as $k ({}; .[$k] += 1)
		| to_entries[] | "\(.key)\t\(.value)"'
	;;
day)
	feed | jq -n --arg lo "${day}T" --arg hi "${next}T" \
		'reduce (inputs | .Records // [] | .[] | select((.eventTime // "") >= $lo and (.eventTime // "") < $hi)) as $r (0; . + 1)'
	;;
*)
	echo "jq_run: unknown query $query" >&2
	exit 2
	;;
esac
