{{ versioned_records('grid_events', key='event_id', counting_date='reported_at', has_updated_at=true) }}
