{{ versioned_records('inspections', key='inspection_id') }}
