-- The tools each principal used: a new agent for an old key is a warning sign.
-- Source: Incident response: user agents.
-- columns: principal, agent, calls, first_seen
SELECT coalesce(user_arn, user_type) AS principal, split_part(user_agent, ' ', 1) AS agent, count(*) AS calls,
       min(event_time) AS first_seen
FROM events
WHERE user_type IN ('IAMUser', 'AssumedRole', 'Root')
GROUP BY 1, 2
ORDER BY principal, calls DESC;
