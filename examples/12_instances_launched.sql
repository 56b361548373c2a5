-- EC2 instances launched: type, image, how many, by whom.
-- Source: Athena: 'RunInstances'; incident response: crypto-mining.
-- columns: event_time, aws_region, who, instance_type, image, launched, error_code
SELECT event_time, aws_region, coalesce(user_arn, invoked_by) AS who,
       request_parameters->>'instanceType' AS instance_type,
       request_parameters #>> '{instancesSet,items,0,imageId}' AS image,
       jsonb_array_length(coalesce(response_elements #> '{instancesSet,items}', '[]')) AS launched, error_code
FROM events
WHERE event_source = 'ec2.amazonaws.com' AND event_name = 'RunInstances'
ORDER BY event_time;
