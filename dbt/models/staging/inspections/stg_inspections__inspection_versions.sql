{{ versioned_records('inspections', key='inspection_id', counting_date='inspected_on', has_updated_at=true) }}
