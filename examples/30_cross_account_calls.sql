-- Calls where the caller's account is not the account that received them.
-- Source: Incident response: outside access.
-- columns: caller_account, recipient_account_id, event_source, event_name, calls
SELECT account_id AS caller_account, recipient_account_id, event_source, event_name, count(*) AS calls
FROM events
WHERE account_id IS NOT NULL AND account_id <> recipient_account_id
GROUP BY 1, 2, 3, 4
ORDER BY calls DESC;
