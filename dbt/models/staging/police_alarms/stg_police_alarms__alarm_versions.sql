{{ versioned_records('police_alarms', key='alarm_id', has_updated_at=false) }}
