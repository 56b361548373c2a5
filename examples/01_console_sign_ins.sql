-- Console sign-ins: who, from where, with or without MFA, success or failure.
-- Source: Athena: 'Example: console sign-in events'.
-- columns: event_time, who, source_ip_address, result, mfa_used, error_message
SELECT event_time, coalesce(user_name, user_arn, user_type) AS who, source_ip_address,
       response_elements->>'ConsoleLogin' AS result,
       additional_event_data->>'MFAUsed' AS mfa_used, error_message
FROM events
WHERE event_name = 'ConsoleLogin'
ORDER BY event_time;
