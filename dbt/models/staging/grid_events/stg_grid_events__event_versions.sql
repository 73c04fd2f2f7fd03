{{ versioned_records('grid_events', key='event_id') }}
