{{ versioned_records('police_alarms', key='alarm_id', counting_date='reported_at', has_updated_at=false) }}
